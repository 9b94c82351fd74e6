/** Messages between the local runtime and one function instance (a child process). */
export type ToInstance = { type: 'invoke'; requestId: string; payload: string; deadlineMs: number };

export type FromInstance =
  | { type: 'ready' }
  | { type: 'init-failed'; errorType: string; errorMessage: string }
  | { type: 'result'; requestId: string; durationMs: number; payload: string; error?: { errorType: string; errorMessage: string } };
