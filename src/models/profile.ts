import { FerryError } from '../core/errors.js';

/**
 * `ferry profile --json`: a model's measured latency over batch x processes x threads x
 * CPU share. The simulator's service times, the batcher's first guess of them, and the
 * tuner benchmark's surfaces all come from one of these.
 */
export interface ProfileRow {
  batch: number;
  processes: number;
  threadsPerProcess: number;
  vcpus: number;
  /** The share this machine could actually give: min(vcpus, its cores). */
  vcpusEffective: number;
  p50Ms: number;
  p99Ms: number;
  itemsPerS: number;
}

export interface Profile {
  model: string;
  createdAt: string;
  machine: {
    cpuModel: string;
    cores: number;
    memoryGiB: number;
    node: string;
    onnxruntime: string;
    cpuQuota: string;
    cpuQuotaEnforced: boolean;
    cpuPeriodUs: number;
  };
  input: 'image';
  samples: readonly string[];
  repeat: number;
  rows: ProfileRow[];
}

const rowNumbers = ['batch', 'processes', 'threadsPerProcess', 'vcpus', 'p50Ms', 'p99Ms'] as const;

/** Parses and checks a profile's JSON text (`source` names it in errors). */
export function parseProfile(text: string, source = 'profile'): Profile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FerryError('INVALID_ARGUMENT', `Expected ${source} to be JSON from ferry profile --json, got a parse error: ${(error as Error).message}`);
  }
  const profile = value as Partial<Profile>;
  if (typeof profile !== 'object' || profile === null || typeof profile.model !== 'string' || !Array.isArray(profile.rows) || profile.rows.length === 0) {
    throw new FerryError('INVALID_ARGUMENT', `Expected ${source} to hold { "model", "rows": [...] } as ferry profile --json writes, got something else`);
  }
  profile.rows.forEach((row, i) => {
    for (const key of rowNumbers) {
      const v = (row as unknown as Record<string, unknown>)[key];
      if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
        throw new FerryError('INVALID_ARGUMENT', `Expected ${source} rows[${i}].${key} to be a positive number, got ${JSON.stringify(v)}`);
      }
    }
  });
  return profile as Profile;
}
