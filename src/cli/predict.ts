import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { isItemError } from '../core/function-event.js';
import { createFunction, functionOptionsFromEnv, type FunctionOptions } from '../function/handler.js';
import { defaultModelName, getModel, modelNames } from '../function/models/registry.js';
import { integerOption } from '../util/options.js';

export interface PredictFlags {
  model: string;
  processes: number;
  threads: number;
  top: number;
  json?: boolean;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('run the function locally on image files and print the top labels')
    .argument('<files...>', 'JPEG, PNG or WebP images')
    .option('--model <name>', `one of: ${modelNames().join(', ')}`, defaultModelName)
    .option('--processes <n>', 'worker processes', integerOption('--processes', 1, 6), 1)
    .option('--threads <n>', 'ONNX Runtime threads per process', integerOption('--threads', 1, 6), 1)
    .option('--top <k>', 'labels to print per image (at most what the model has)', integerOption('--top', 1, 100), 3)
    .option('--json', 'print the raw function answer as JSON')
    .action((files: string[], flags: PredictFlags) => runPredict(files, flags, functionOptionsFromEnv(process.env), (line) => console.log(line)));
}

/** `ferry predict`: runs the function on image files in this process and prints its answer. */
export async function runPredict(files: string[], flags: PredictFlags, functionOptions: FunctionOptions, print: (line: string) => void): Promise<void> {
  // The default of 3 is more than ocr-cls has (2 labels): ask for what the model has, as /classify?top= does.
  const topK = Math.min(flags.top, getModel(flags.model).labels.length);
  const inference = createFunction(functionOptions);
  try {
    const inputs = await Promise.all(files.map(async (file) => ({ image: (await readFile(file)).toString('base64') })));
    const event = { model: flags.model, inputs, processes: flags.processes, threadsPerProcess: flags.threads, topK };
    const result = await inference.handler(event);
    if (flags.json) return print(JSON.stringify(result, null, 2));
    result.outputs.forEach((answer, index) => {
      print(files[index]!);
      if (isItemError(answer)) print(`  error ${answer.error.code}: ${answer.error.message}`);
      else for (const { label, probability } of answer.top) print(`  ${label.padEnd(10)} ${(probability * 100).toFixed(1).padStart(5)}%`);
    });
    const t = result.timings;
    print(`\n${files.length} image(s) on ${result.processes} process(es) x ${result.threadsPerProcess} thread(s): ` +
      `init ${t.initMs.toFixed(0)} ms, decode ${t.decodeMs.toFixed(1)} ms, inference ${t.inferenceMs.toFixed(1)} ms, total ${t.totalMs.toFixed(0)} ms`);
  } finally {
    await inference.close();
  }
}
