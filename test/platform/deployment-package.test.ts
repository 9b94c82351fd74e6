import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaLimits } from '../../src/core/pricing.js';
import { isItemError, type FunctionResult, type ItemOutput } from '../../src/core/function-event.js';
import { createFunction } from '../../src/function/handler.js';
import { sampleFile } from '../../src/function/models/registry.js';
import {
  buildDeploymentPackage,
  type DeploymentPackage,
} from '../../src/platform/lambda/deployment-package.js';
import { LocalRuntime } from '../../src/platform/local/runtime.js';
import { testCacheDir } from '../helpers/function.js';

const run = promisify(execFile);

/**
 * Runs in a plain `node` with cwd = the unzipped package, as Lambda's runtime would load it:
 * calls the handler, lists the worker processes it forked (pid and command line, from /proc),
 * then exits without closing anything, as a frozen-then-reclaimed instance would.
 */
const childScript = `
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
const { handler } = await import('./index.js');
const image = readFileSync(process.env.SAMPLE_FILE).toString('base64');
const answer = await handler({ model: 'mobilenetv2', inputs: [{ image }], processes: 2 });
const workers = [];
for (const pid of readdirSync('/proc').filter((name) => /^\\d+$/.test(name))) {
  try {
    const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === process.pid) workers.push({ pid: Number(pid), cmdline: readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0') });
  } catch {}
}
const ort = createRequire(process.cwd() + '/index.js').resolve('onnxruntime-node');
console.log(JSON.stringify({ answer, workers, ort }));
process.exit(0);
`;

function outputOf(result: FunctionResult): ItemOutput {
  const [answer] = result.outputs;
  if (!answer || isItemError(answer)) throw new Error(`expected one output, got ${JSON.stringify(answer)}`);
  return answer;
}

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('the AWS Lambda deployment package (x86_64)', () => {
  let work: string;
  let pkg: DeploymentPackage;
  let buildMs: number;
  /** The package unzipped, as Lambda lays it out in /var/task. */
  let taskDir: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'ferry-package-test-'));
    const startMs = performance.now();
    pkg = await buildDeploymentPackage({ models: ['mobilenetv2'], arch: 'x86_64', cacheDir: testCacheDir, outFile: path.join(work, 'ferry.zip') });
    buildMs = performance.now() - startMs;
  }, 180_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('fits Lambda: under 50 MiB zipped (direct upload) and 250 MiB unzipped', () => {
    console.info(`deployment package: ${pkg.zipBytes} bytes zipped, ${pkg.unzippedBytes} unzipped, ${pkg.entries.length} files, built in ${(buildMs / 1000).toFixed(1)} s`);
    expect(statSync(pkg.zipPath).size).toBe(pkg.zipBytes);
    expect(pkg.zipBytes).toBeLessThan(lambdaLimits.maxDirectUploadZipBytes);
    expect(pkg.unzippedBytes).toBeLessThan(lambdaLimits.maxUnzippedPackageBytes);
    expect(pkg.unzippedBytes).toBe(pkg.entries.reduce((sum, e) => sum + e.bytes, 0));
  });

  it('holds the bundles, the models and only linux-x64 native binaries', () => {
    const paths = pkg.entries.map((e) => e.path);
    for (const required of [
      'index.js',
      'worker-main.js',
      'package.json',
      'models/mobilenetv2.onnx',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
      'node_modules/sharp/lib/index.js',
      'node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node',
      'node_modules/@img/sharp-libvips-linux-x64/package.json',
    ]) expect(paths).toContain(required);
    expect(paths.filter((p) => /\/(darwin|win32|arm64)\//.test(p))).toEqual([]);
    const imgPackages = new Set(paths.filter((p) => p.startsWith('node_modules/@img/')).map((p) => p.split('/')[2]));
    expect([...imgPackages].sort()).toEqual(['colour', 'sharp-libvips-linux-x64', 'sharp-linux-x64']);
    expect(paths.filter((p) => /\.(md|map)$|\.d\.ts$/.test(p) && !/\/licen[cs]e/i.test(p))).toEqual([]);
    // Nothing but the two native packages' closures and the bundles: no dev dependencies.
    expect(paths.some((p) => p.startsWith('node_modules/@tensorflow/') || p.startsWith('node_modules/esbuild/'))).toBe(false);
  });

  it('answers from the unzipped package in a plain node, like the function from source', async () => {
    const dir = path.join(work, 'task');
    taskDir = dir;
    const files = unzipSync(await readFile(pkg.zipPath));
    for (const [name, data] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), data);
    }
    const emptyCache = path.join(work, 'cache');
    await mkdir(emptyCache);

    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', childScript], {
      cwd: dir,
      // A clean environment: no NODE_OPTIONS / tsx loader inherited from the test runner.
      env: { PATH: process.env.PATH ?? '', FERRY_MODEL_DIR: path.join(dir, 'models'), FERRY_CACHE_DIR: emptyCache, SAMPLE_FILE: sampleFile('cartoon-house.png') },
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const child = JSON.parse(stdout) as { answer: FunctionResult; workers: { pid: number; cmdline: string[] }[]; ort: string };

    const fromPackage = outputOf(child.answer);
    expect(fromPackage.top[0]!.label).toBe('Neutral');
    expect(child.answer.processes).toBe(2);
    // Everything came from the package: ONNX Runtime from its node_modules, the workers from
    // the worker-main.js beside index.js, the model from models/ (nothing was converted).
    expect(child.ort.startsWith(dir + path.sep)).toBe(true);
    expect(child.workers).toHaveLength(2);
    for (const worker of child.workers) expect(worker.cmdline).toContain(path.join(dir, 'worker-main.js'));
    expect(readdirSync(emptyCache)).toEqual([]);

    const inference = createFunction({ cacheDir: testCacheDir, workerMode: 'process' });
    try {
      const fromSource = outputOf(await inference.handler({ model: 'mobilenetv2', inputs: [{ image: readFileSync(sampleFile('cartoon-house.png')).toString('base64') }], processes: 2 }));
      expect(fromPackage.shape).toEqual(fromSource.shape);
      fromPackage.data.forEach((value, i) => expect(Math.abs(value - fromSource.data[i]!)).toBeLessThanOrEqual(1e-5));
      expect(fromPackage.top.map((t) => t.label)).toEqual(fromSource.top.map((t) => t.label));
    } finally {
      await inference.close();
    }

    // The package's workers leave with their parent (they exit on IPC disconnect).
    const deadline = performance.now() + 5_000;
    while (child.workers.some((w) => running(w.pid)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(child.workers.filter((w) => running(w.pid))).toEqual([]);
  }, 90_000);

  it('is served by the local runtime as a registered function with that code', async () => {
    const runtime = new LocalRuntime({
      functions: [{ name: 'packaged', model: 'mobilenetv2', memoryMb: 1769, timeoutS: 60, codeDir: taskDir, handler: 'index.handler' }],
      cacheDir: path.join(work, 'cache'),
      env: { FERRY_MODEL_DIR: path.join(taskDir, 'models') },
    });
    try {
      const image = readFileSync(sampleFile('cartoon-house.png')).toString('base64');
      const result = await runtime.invoke('packaged', JSON.stringify({ model: 'mobilenetv2', inputs: [{ image }] }));
      expect(result.functionError).toBeUndefined();
      expect(outputOf(JSON.parse(result.payload) as FunctionResult).top[0]!.label).toBe('Neutral');
      expect(result.log).toMatch(/REPORT RequestId: .*Init Duration/);
    } finally {
      await runtime.close();
    }
  }, 60_000);

  const arm64Installed = existsSync(new URL('../../node_modules/@img/sharp-linux-arm64/package.json', import.meta.url));
  it.skipIf(arm64Installed)('fails clearly for arm64 when sharp\'s arm64 packages are not installed', async () => {
    await expect(buildDeploymentPackage({ models: ['mobilenetv2'], arch: 'arm64', cacheDir: testCacheDir, outFile: path.join(work, 'arm64.zip') }))
      .rejects.toThrow(/@img\/sharp-linux-arm64 is not installed/);
    expect(existsSync(path.join(work, 'arm64.zip'))).toBe(false);
  });
});
