import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * A worker thread running `entry` (from nodeEntry). Built, that is the plain JavaScript
 * file; from source (tests, `tsx`), worker threads ignore `--import`, so the thread
 * registers tsx itself before it imports the TypeScript entry.
 */
export function startWorkerThread(entry: { file: string; execArgv: string[] }): Worker {
  if (entry.execArgv.length === 0) return new Worker(entry.file);
  return new Worker(
    `import(${JSON.stringify(tsxApiUrl())}).then((tsx) => { tsx.register(); ` +
      `return import(${JSON.stringify(pathToFileURL(entry.file).href)}); });`,
    { eval: true },
  );
}

/**
 * Where tsx's register API is, as an ES module. Under vitest, import.meta has no resolve():
 * the package's own exports map names the same file.
 */
function tsxApiUrl(): string {
  if (typeof import.meta.resolve === 'function') return import.meta.resolve('tsx/esm/api');
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('tsx/package.json');
  const { exports } = require(packageJson) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(path.join(path.dirname(packageJson), exports['./esm/api']!.import.default)).href;
}
