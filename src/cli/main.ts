import { Command, CommanderError } from 'commander';
import { FerryError } from '../core/errors.js';
import { registerPredict } from './predict.js';
import { registerProfile } from './profile.js';
import { registerBench } from './bench.js';
import { registerDeploy } from './deploy.js';
import { registerDetect } from './detect.js';
import { registerLoadgen } from './loadgen.js';
import { registerRuntime } from './runtime.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { registerTrace } from './trace.js';

const program = new Command('ferry')
  .description('Cost-efficient serverless ML inference: joint batching and multi-processing')
  .showHelpAfterError()
  .exitOverride();

registerPredict(program);
registerProfile(program);
registerBench(program);
registerDeploy(program);
registerDetect(program);
registerRuntime(program);
registerServe(program);
registerLoadgen(program);
registerTrace(program);
registerSimulate(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof FerryError) {
    console.error(`ferry: ${error.code}: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
