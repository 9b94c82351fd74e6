import { readFileSync } from 'node:fs';
import { sampleFile } from '../../../src/models/files.js';

/** How the stack under test is put together (stack-main.ts). */
export interface StackConfig {
  /** `local`: the gateway calls the embedded runtime in-process; `lambda`: through the AWS SDK and the runtime's Lambda API. */
  backend: 'local' | 'lambda';
  batchSize: number;
  processes: number;
  memoryMb: number;
  sloMs: number;
  /** Invocations in flight (the gateway's bound and the runtime's concurrency limit alike). */
  concurrency: number;
  /** Request items queued before 503. */
  maxQueue: number;
  /** The function's timeout; the gateway waits 2 s more. */
  timeoutS: number;
  token?: string;
  /** The Lambda API's shared secret (lambda backend). */
  secret?: string;
}

export type StackCommand =
  | { cmd: 'stats' }
  | { cmd: 'hold'; slots: number; ms: number }
  /**
   * Signals (SIGKILL unless told) a process of a busy instance, from inside the stack so that no round trip
   * lets the batch end first: the instance itself, or one of its workers seen running
   * (scheduler state R, so most likely mid-sub-batch). Answers the pid, or null if none
   * was found within `withinMs`.
   */
  | { cmd: 'kill'; target: 'instance' | 'worker'; withinMs: number; signal?: 'SIGKILL' | 'SIGSTOP' }
  | { cmd: 'memory'; memoryMb: number }
  | { cmd: 'restart-runtime' }
  /** Starts the queue's peak over from its depth now. */
  | { cmd: 'reset-peaks' }
  | { cmd: 'drain' };

/** The gateway's own view, from inside the stack process. */
export interface StackStats {
  /** Requests Gateway.submit accepted. */
  accepted: number;
  /** Of those, answered (their `done` called) once. */
  answeredOnce: number;
  /** Accepted and not answered yet: must be 0 once traffic stops. */
  pending: number;
  /** `done` calls beyond the first of a request: must always be 0. */
  doubled: number;
  /** Items withdrawn because their client left before they were sent. */
  withdrawn: number;
  refusedByCode: Record<string, number>;
  /** Each answered request's first error code, or `ok`. */
  answersByCode: Record<string, number>;
  /** Invocations by outcome (`ok` or `kind:errorType`). */
  invocations: Record<string, number>;
  /** Items a function answered WORKER_CRASHED: a killed worker held them. */
  crashedItems: number;
  /** Invocations that failed with Runtime.ExitError: a killed instance held them. */
  exitErrors: number;
  timedOut: number;
  throttled: number;
  /** Items sent to a function, by which sample image they carry. */
  itemsInvoked: Record<string, number>;
  queueDepthMax: number;
  queueDepth: number;
  rssMb: number;
  fds: number;
  fdKinds: Record<string, number>;
  instances: number;
  holdsRunning: number;
}

/** The images load carries: good traffic one, disconnecting clients another, so the stack can tell their items apart. */
export const images = {
  house: readFileSync(sampleFile('cartoon-house.png')).toString('base64'),
  dunes: readFileSync(sampleFile('dunes.jpg')).toString('base64'),
};
