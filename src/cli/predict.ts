import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { isItemError } from '../core/function-event.js';
import { createFunction, functionOptionsFromEnv } from '../function/handler.js';
import { defaultModelName, modelNames } from '../function/models/registry.js';
import { integerOption } from '../util/options.js';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('run the function locally on image files and print the top labels')
    .argument('<files...>', 'JPEG, PNG or WebP images')
    .option('--model <name>', `one of: ${modelNames().join(', ')}`, defaultModelName)
    .option('--processes <n>', 'worker processes', integerOption('--processes', 1, 6), 1)
    .option('--threads <n>', 'ONNX Runtime threads per process', integerOption('--threads', 1, 6), 1)
    .option('--top <k>', 'labels to print per image', integerOption('--top', 1, 100), 3)
    .option('--json', 'print the raw function answer as JSON')
    .action(async (files: string[], options: { model: string; processes: number; threads: number; top: number; json?: boolean }) => {
      const inference = createFunction(functionOptionsFromEnv(process.env));
      try {
        const inputs = await Promise.all(files.map(async (file) => ({ image: (await readFile(file)).toString('base64') })));
        const event = { model: options.model, inputs, processes: options.processes, threadsPerProcess: options.threads, topK: options.top };
        const result = await inference.handler(event);
        if (options.json) {
          console.log(JSON.stringify(result, null, 2));
          return;
        }
        result.outputs.forEach((answer, index) => {
          console.log(files[index]);
          if (isItemError(answer)) console.log(`  error ${answer.error.code}: ${answer.error.message}`);
          else for (const { label, probability } of answer.top) console.log(`  ${label.padEnd(10)} ${(probability * 100).toFixed(1).padStart(5)}%`);
        });
        const t = result.timings;
        console.log(`\n${files.length} image(s) on ${result.processes} process(es) x ${result.threadsPerProcess} thread(s): ` +
          `init ${t.initMs.toFixed(0)} ms, decode ${t.decodeMs.toFixed(1)} ms, inference ${t.inferenceMs.toFixed(1)} ms, total ${t.totalMs.toFixed(0)} ms`);
      } finally {
        await inference.close();
      }
    });
}
