import { existsSync } from 'node:fs';
import path from 'node:path';
import { FerryError } from '../../core/errors.js';
import { checkMemoryMb } from '../../core/pricing.js';
import { modelInfo } from '../../models/catalog.js';
import { nodeEntry } from '../../util/node-entry.js';

/** A function registered with the local runtime. */
export interface LocalFunctionSpec {
  name: string;
  /** The model this function serves (loaded during INIT). */
  model: string;
  /** @default 1769 (one vCPU) */
  memoryMb: number;
  /** Invocation timeout. @default 60 */
  timeoutS: number;
  /** Folder of a deployment package (unzipped); ferry's own function when absent. */
  codeDir?: string;
  /** Lambda's `file.export` handler string. @default 'index.handler' */
  handler: string;
}

const namePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Parses `NAME=MODEL[:MEMORY_MB]`, the `--function` flag of `ferry runtime`. */
export function parseFunctionFlag(text: string): LocalFunctionSpec {
  const match = /^([^=]+)=([^:]+)(?::(.+))?$/.exec(text);
  if (!match) throw new FerryError('INVALID_ARGUMENT', `Expected --function NAME=MODEL[:MEMORY_MB], got "${text}"`);
  const memoryMb = match[3] === undefined ? 1769 : Number(match[3]);
  return checkFunctionSpec({ name: match[1]!, model: match[2]!, memoryMb, timeoutS: 60, handler: 'index.handler' });
}

export function checkFunctionSpec(spec: LocalFunctionSpec): LocalFunctionSpec {
  if (!namePattern.test(spec.name)) {
    throw new FerryError('INVALID_ARGUMENT', `Expected a function name of 1-64 letters, digits, - or _, got "${spec.name}"`);
  }
  modelInfo(spec.model);
  const memoryError = checkMemoryMb(spec.memoryMb);
  if (memoryError) throw new FerryError('INVALID_ARGUMENT', memoryError);
  if (!(spec.timeoutS > 0 && spec.timeoutS <= 900)) {
    throw new FerryError('INVALID_ARGUMENT', `Expected a timeout in 1..900 s, got ${spec.timeoutS}`);
  }
  return spec;
}

/** The module file and export an instance of `spec` loads. */
export function handlerLocation(spec: LocalFunctionSpec): { module: string; exportName: string } {
  const dot = spec.handler.lastIndexOf('.');
  const exportName = dot > 0 ? spec.handler.slice(dot + 1) : 'handler';
  if (!spec.codeDir) return { module: nodeEntry(import.meta.url, '../../function/handler.js').file, exportName };
  const base = path.join(spec.codeDir, dot > 0 ? spec.handler.slice(0, dot) : spec.handler);
  const module = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((file) => existsSync(file));
  if (!module) throw new FerryError('INVALID_ARGUMENT', `Expected a handler module ${base}.js (or .mjs/.cjs) in ${spec.codeDir}`);
  return { module, exportName };
}
