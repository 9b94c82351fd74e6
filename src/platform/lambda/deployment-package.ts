// Builds the zip that AWS Lambda's nodejs20.x runtime runs: two esbuild bundles (the handler
// and the worker it forks), the native packages they load at run time with only the target
// platform's binaries, and the ready ONNX models.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { zipSync, type ZipOptions, type Zippable } from 'fflate';
import { lambdaLimits, type Architecture } from '../../core/pricing.js';
import { getModel } from '../../function/models/registry.js';
import { nodeEntry } from '../../util/node-entry.js';

export type LambdaArch = Architecture;

export interface DeploymentPackageOptions {
  /** Registry names of the models to ship as models/<name>.onnx. */
  models: string[];
  arch: LambdaArch;
  /** Where converted models are cached (the same cache the function uses locally). */
  cacheDir: string;
  /** Where to write the zip; default: a new temporary folder. */
  outFile?: string;
  /** Progress messages; default: none. */
  log?: (message: string) => void;
}

export interface DeploymentPackage {
  zipPath: string;
  zipBytes: number;
  unzippedBytes: number;
  /** Every file in the zip, sorted by path, with its unzipped size. */
  entries: { path: string; bytes: number }[];
}

/** A failure to build or deploy, with a message meant for the person running ferry. */
export class DeployError extends Error {
  override readonly name = 'DeployError';
}

/** The packages the bundles leave to `require`/`import` at run time: both load native addons. */
const externalPackages = ['onnxruntime-node', 'sharp'] as const;

/** Where the package's files go in Lambda: the function's env points the handler at them. */
export const lambdaEnvironment = {
  FERRY_MODEL_DIR: '/var/task/models',
  FERRY_CACHE_DIR: '/tmp/ferry-cache',
} as const;

// esbuild turns a bundled CommonJS module's `require('x')` into a call to a `require` it
// expects in scope; an ES module has none, so define it. The alias keeps clear of names in
// the bundled code.
const requireBanner =
  "import { createRequire as __ferryCreateRequire } from 'node:module';\n" +
  'const require = __ferryCreateRequire(import.meta.url);';

/** A fixed timestamp, so the same inputs give the same zip bytes (and the same CodeSha256). */
const zipMtime = new Date('2024-01-01T00:00:00Z');

interface PackageFile {
  path: string;
  data: Uint8Array;
  executable: boolean;
}

/** Target of npm's os / cpu / libc package fields. */
interface NpmTarget {
  os: 'linux';
  cpu: 'x64' | 'arm64';
  libc: 'glibc';
}

export function npmCpu(arch: LambdaArch): 'x64' | 'arm64' {
  return arch === 'x86_64' ? 'x64' : 'arm64';
}

export async function buildDeploymentPackage(options: DeploymentPackageOptions): Promise<DeploymentPackage> {
  const log = options.log ?? (() => undefined);
  if (options.models.length === 0) throw new DeployError('Expected at least one model to ship, got none');
  const target: NpmTarget = { os: 'linux', cpu: npmCpu(options.arch), libc: 'glibc' };
  const specs = options.models.map((name) => getModel(name));

  // Cheap checks first: a missing platform package fails before any bundling or conversion.
  log(`resolving the run-time packages of ${externalPackages.join(', ')} for linux-${target.cpu}`);
  const packages = runtimePackageClosure(externalPackages, target);

  const files: PackageFile[] = [];
  log('bundling index.js and worker-main.js with esbuild');
  const handlerEntry = nodeEntry(import.meta.url, './lambda-entry.js').file;
  const workerEntry = nodeEntry(import.meta.url, '../../function/worker-main.js').file;
  // worker-handle.ts forks new URL('./worker-main.js', import.meta.url) of the module that
  // calls startWorker; bundled, that module is index.js, so the worker must sit beside it.
  files.push({ path: 'index.js', data: await bundle(handlerEntry), executable: false });
  files.push({ path: 'worker-main.js', data: await bundle(workerEntry), executable: false });
  files.push({ path: 'package.json', data: Buffer.from(`${JSON.stringify({ type: 'module' }, null, 2)}\n`), executable: false });

  for (const spec of specs) {
    log(`model ${spec.name}: resolving its ONNX file (converted and cached in ${options.cacheDir} on first use)`);
    const file = await spec.resolveFile(options.cacheDir);
    files.push({ path: `models/${spec.name}.onnx`, data: await readFile(file), executable: false });
  }

  const before = files.length;
  for (const pkg of packages) await collectPackageFiles(pkg, target, files);
  log(`node_modules: ${packages.length} packages (${packages.map((p) => p.name).join(', ')}), ${files.length - before} files`);

  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const unzippedBytes = files.reduce((sum, f) => sum + f.data.byteLength, 0);
  log(`compressing ${files.length} files (${formatBytes(unzippedBytes)}) with DEFLATE`);
  const zippable: Zippable = {};
  for (const file of files) {
    // Unix regular file, world-readable (Lambda's runtime user does not own /var/task).
    const mode = 0o100000 | (file.executable ? 0o755 : 0o644);
    const attributes: ZipOptions = { level: 6, mtime: zipMtime, os: 3, attrs: mode * 0x10000 };
    zippable[file.path] = [file.data, attributes];
  }
  const zip = zipSync(zippable);

  const zipPath = options.outFile ? path.resolve(options.outFile) : path.join(await mkdtemp(path.join(os.tmpdir(), 'ferry-deploy-')), `ferry-${options.arch}.zip`);
  await mkdir(path.dirname(zipPath), { recursive: true });
  await writeFile(zipPath, zip);
  log(`wrote ${zipPath} (${formatBytes(zip.byteLength)})`);
  return { zipPath, zipBytes: zip.byteLength, unzippedBytes, entries: files.map((f) => ({ path: f.path, bytes: f.data.byteLength })) };
}

/** What stands between this package and Lambda, in words; empty when it fits. */
export function packageLimitProblems(pkg: Pick<DeploymentPackage, 'zipBytes' | 'unzippedBytes'>): { directUpload: string | undefined; unzipped: string | undefined } {
  return {
    directUpload: pkg.zipBytes > lambdaLimits.maxDirectUploadZipBytes
      ? `the zip is ${formatBytes(pkg.zipBytes)}, over the ${formatBytes(lambdaLimits.maxDirectUploadZipBytes)} Lambda accepts in a direct upload: ` +
        'it must be uploaded to S3 and the function created from there (Code.S3Bucket / S3Key), which ferry deploy does not do'
      : undefined,
    unzipped: pkg.unzippedBytes > lambdaLimits.maxUnzippedPackageBytes
      ? `the package is ${formatBytes(pkg.unzippedBytes)} unzipped, over Lambda's ${formatBytes(lambdaLimits.maxUnzippedPackageBytes)} limit: Lambda would reject it`
      : undefined,
  };
}

async function bundle(entry: string): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: [...externalPackages],
    banner: { js: requireBanner },
    write: false,
    outfile: 'out.js',
    logLevel: 'silent',
    legalComments: 'eof',
  });
  const [output] = result.outputFiles;
  if (!output) throw new DeployError(`esbuild produced no output for ${entry}`);
  return output.contents;
}

// ---------------------------------------------------------------------------------------
// node_modules: the run-time dependency closure, read from package.json files.

interface PackageJson {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

interface RuntimePackage {
  name: string;
  /** Folder on disk. */
  dir: string;
  /** Folder in the zip, under node_modules/, where Node's resolution from /var/task finds it. */
  archivePath: string;
}

/**
 * The packages that must sit in the zip's node_modules for `roots` to load: their
 * `dependencies` (which must be installed) and those `optionalDependencies` that are
 * installed and whose os / cpu / libc fields accept the target, found the way Node resolves
 * them (nearest node_modules folder upwards from the requiring package).
 */
function runtimePackageClosure(roots: readonly string[], target: NpmTarget): RuntimePackage[] {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const found = new Map<string, RuntimePackage>();
  let baseNodeModules: string | undefined;
  const queue: { name: string; from: string; optional: boolean; requiredBy: string }[] =
    roots.map((name) => ({ name, from: here, optional: false, requiredBy: 'the function' }));

  while (queue.length > 0) {
    const { name, from, optional, requiredBy } = queue.shift()!;
    const dir = resolvePackageDir(name, from);
    if (!dir) {
      if (optional) continue;
      throw new DeployError(`Package ${name} (a dependency of ${requiredBy}) is not installed: run npm install in the ferry folder`);
    }
    if (found.has(dir)) continue;
    const manifest = readPackageJson(dir);
    if (optional && !matchesTarget(manifest, target)) continue;
    baseNodeModules ??= path.dirname(name.startsWith('@') ? path.dirname(dir) : dir);
    const relative = path.relative(baseNodeModules, dir);
    // A package hoisted above the base node_modules sits at the top of the zip's node_modules.
    const archivePath = `node_modules/${relative.startsWith('..') ? name : relative.split(path.sep).join('/')}`;
    found.set(dir, { name, dir, archivePath });
    for (const dep of Object.keys(manifest.dependencies ?? {})) queue.push({ name: dep, from: dir, optional: false, requiredBy: name });
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, optional: true, requiredBy: name });
  }

  const packages = [...found.values()];
  const archivePaths = new Set<string>();
  for (const pkg of packages) {
    if (archivePaths.has(pkg.archivePath)) throw new DeployError(`Two installed copies of ${pkg.name} would both go to ${pkg.archivePath}`);
    archivePaths.add(pkg.archivePath);
  }
  checkNativeBinaries(packages, target);
  return packages.sort((a, b) => (a.archivePath < b.archivePath ? -1 : 1));
}

/**
 * sharp's and ONNX Runtime's binaries for the target: sharp lists every platform's prebuilt
 * package as optional (npm installs only the host's), ONNX Runtime ships all of them.
 */
function checkNativeBinaries(packages: RuntimePackage[], target: NpmTarget): void {
  const names = new Set(packages.map((p) => p.name));
  const platform = `${target.os}-${target.cpu}`;
  for (const required of [`@img/sharp-${platform}`, `@img/sharp-libvips-${platform}`]) {
    if (!names.has(required)) {
      throw new DeployError(
        `sharp's prebuilt package for ${platform} is missing: ${required} is not installed in node_modules ` +
          `(npm installs only the host platform's). Add it as https://sharp.pixelplumbing.com/install#cross-platform says, e.g. npm install --os=linux --cpu=${target.cpu} --libc=glibc sharp`,
      );
    }
  }
  const ort = packages.find((p) => p.name === 'onnxruntime-node');
  const binding = ort && path.join(ort.dir, onnxruntimeBinDir(target), 'onnxruntime_binding.node');
  if (binding && !existsSync(binding)) throw new DeployError(`onnxruntime-node has no binary for ${platform}: ${binding} is missing`);
}

function onnxruntimeBinDir(target: NpmTarget): string {
  return path.join('bin', 'napi-v6', target.os, target.cpu);
}

function resolvePackageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (path.basename(dir) !== 'node_modules' && existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir)) return undefined;
  }
}

function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** npm's rule for os / cpu / libc: absent or empty accepts all, `!x` rejects x, else listed only. */
function matchesTarget(manifest: PackageJson, target: NpmTarget): boolean {
  const accepts = (list: string[] | undefined, value: string): boolean => {
    if (!list || list.length === 0) return true;
    if (list.includes(`!${value}`)) return false;
    const positive = list.filter((entry) => !entry.startsWith('!'));
    return positive.length === 0 || positive.includes(value);
  };
  return accepts(manifest.os, target.os) && accepts(manifest.cpu, target.cpu) && accepts(manifest.libc, target.libc);
}

/** Files nothing loads at run time; licences are kept whatever their extension. */
const devFile = /(\.md|\.markdown|\.d\.[cm]?ts|\.[cm]?ts|\.map|\.cc|\.cpp|\.c|\.h|\.hpp|\.gyp|\.gypi)$/i;
const licenceFile = /^(licen[cs]e|notice|copying)/i;

async function collectPackageFiles(pkg: RuntimePackage, target: NpmTarget, files: PackageFile[]): Promise<void> {
  const keepOnly = pkg.name === 'onnxruntime-node' ? onnxruntimeBinDir(target) : undefined;
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(path.join(pkg.dir, relative), { withFileTypes: true })) {
      const rel = path.join(relative, entry.name);
      // Nested node_modules hold packages of their own, collected (or not) by the closure.
      if (entry.name === 'node_modules' || entry.name === '.bin') continue;
      // ONNX Runtime ships every platform's binaries under bin/ (288 MB): keep the target's.
      if (keepOnly && rel.startsWith(`bin${path.sep}`) && !(rel === keepOnly || keepOnly.startsWith(rel + path.sep) || rel.startsWith(keepOnly + path.sep))) continue;
      const full = path.join(pkg.dir, rel);
      const info = await stat(full); // follows symlinks: the zip holds the target's bytes
      if (info.isDirectory()) {
        await walk(rel);
      } else if (info.isFile() && (licenceFile.test(entry.name) || !devFile.test(entry.name))) {
        files.push({ path: `${pkg.archivePath}/${rel.split(path.sep).join('/')}`, data: await readFile(full), executable: (info.mode & 0o111) !== 0 });
      }
    }
  };
  await walk('');
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}
