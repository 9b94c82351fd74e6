import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import type { ModelTuningEvent } from '../serving/events.js';

export type LoggedTuningEvent = ModelTuningEvent;

/**
 * Every tuning decision as a JSON line, so that a restarted gateway resumes from what it
 * measured rather than relearning it, and so that a person can read why a config changed.
 */
export class TuningLog {
  private readonly stream: WriteStream;

  constructor(private readonly file: string) {
    this.stream = createWriteStream(file, { flags: 'a' });
  }

  /** Events written earlier, for one model (malformed lines are skipped, not fatal). */
  static read(file: string, model: string): LoggedTuningEvent[] {
    if (!existsSync(file)) return [];
    const events: LoggedTuningEvent[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const event = JSON.parse(line) as LoggedTuningEvent;
        if (event.model === model) events.push(event);
      } catch {
        // A line cut short by a crash: the rest of the log is still good.
      }
    }
    return events;
  }

  append(event: LoggedTuningEvent): void {
    this.stream.write(`${JSON.stringify(event)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
