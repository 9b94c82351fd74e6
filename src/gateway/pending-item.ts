import type { ErrorCode } from '../core/errors.js';
import type { EventInput, ItemAnswer } from '../core/function-event.js';

/** What a request is finally answered with: the function's answer, or the gateway's error. */
export type ItemSettlement = ItemAnswer | { error: { code: ErrorCode; message: string } };

/**
 * One accepted single-item request, from admission to answer. `settle` is guarded: the
 * first call wins and later ones are ignored, so a late invocation result (after a timeout)
 * or a retry racing a drain can never answer a request twice.
 */
export class PendingItem {
  attempts = 0;
  private settled = false;

  constructor(
    readonly input: EventInput,
    readonly payloadBytes: number,
    readonly arrivalMs: number,
    private readonly onSettle: (answer: ItemSettlement) => void,
  ) {}

  get isSettled(): boolean {
    return this.settled;
  }

  settle(answer: ItemSettlement): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.onSettle(answer);
    return true;
  }
}
