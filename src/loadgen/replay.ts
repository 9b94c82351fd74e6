import type { Answer } from './http-client.js';

export interface ReplayProgress {
  scheduled: number;
  /** Due so far (sent + dropped). */
  due: number;
  sent: number;
  answered: number;
  dropped: number;
  outstanding: number;
}

export interface ReplayOptions {
  /** When each request is due, ms from the replay's start, ascending. */
  schedule: readonly number[];
  /** Requests in flight at most; a request due beyond that is dropped, not queued. */
  maxOutstanding: number;
  /** Sends request `index`; must not reject. */
  send(index: number): Promise<Answer>;
  /** Called about every `progressEveryMs` and once at the end. */
  onProgress?(progress: ReplayProgress): void;
  /** @default 250 */
  progressEveryMs?: number;
}

export interface ReplayResult {
  scheduled: number;
  sent: number;
  dropped: number;
  /** One per request sent, in the order the answers came. */
  answers: Answer[];
  /** How late each request left against its due time (ms): the client's own timing error. */
  sendLagMs: number[];
  /** From the start to the last request sent, and to the last answer (ms). */
  lastSendMs: number;
  wallMs: number;
}

/**
 * Open-loop replay: every request leaves at its due time whether or not earlier ones were
 * answered, so a slow server sees the load the trace describes (not a load throttled by its
 * own latency, as a closed loop would). One loop sleeps until the next due time and then
 * fires everything due; times are measured from one start instant, so timer lateness never
 * accumulates into drift.
 */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const { schedule, maxOutstanding } = options;
  const answers: Answer[] = [];
  const sendLagMs: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let dropped = 0;
  let lastSendMs = 0;
  let lastAnswerMs = 0;
  const startMs = performance.now();
  const elapsed = () => performance.now() - startMs;
  const progress = (): ReplayProgress => ({
    scheduled: schedule.length, due: sent + dropped, sent, answered: answers.length, dropped, outstanding: inFlight.size,
  });
  const ticker = options.onProgress ? setInterval(() => options.onProgress!(progress()), options.progressEveryMs ?? 250) : undefined;
  ticker?.unref();

  try {
    let next = 0;
    while (next < schedule.length) {
      const nowMs = elapsed();
      for (; next < schedule.length && schedule[next]! <= nowMs; next++) {
        if (inFlight.size >= maxOutstanding) {
          dropped++;
          continue;
        }
        sent++;
        lastSendMs = elapsed();
        sendLagMs.push(lastSendMs - schedule[next]!);
        const request: Promise<void> = options.send(next).then((answer) => {
          answers.push(answer);
          lastAnswerMs = elapsed();
          inFlight.delete(request);
        });
        inFlight.add(request);
      }
      if (next < schedule.length) await sleep(schedule[next]! - elapsed());
    }
    await Promise.all(inFlight);
  } finally {
    if (ticker) clearInterval(ticker);
  }
  options.onProgress?.(progress());
  return { scheduled: schedule.length, sent, dropped, answers, sendLagMs, lastSendMs, wallMs: Math.max(lastSendMs, lastAnswerMs) };
}

/** Sleeps `ms` (a timer), or only yields to I/O when the next request is due within a millisecond. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => (ms >= 1 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}
