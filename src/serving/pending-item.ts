import type { ErrorCode } from '../core/errors.js';
import type { EventInput, ItemAnswer } from '../core/function-event.js';

/** What a request is finally answered with: the function's answer, or the gateway's error. */
export type ItemSettlement = ItemAnswer | { error: { code: ErrorCode; message: string } };

/**
 * One request's items, answered together: one callback per request (not per item), called
 * when its last item is settled, with the answers in the request's order.
 */
export class PendingRequest {
  readonly answers: ItemSettlement[];
  private remaining: number;

  constructor(
    readonly model: string,
    readonly arrivalMs: number,
    size: number,
    private readonly onDone: (answers: ItemSettlement[]) => void,
    /** Called once per item as it settles (the observers count answers). */
    private readonly onItem?: (request: PendingRequest, answer: ItemSettlement) => void,
    /** Routed to the model's trial lane (a configuration on a slice of the traffic). */
    readonly trial = false,
  ) {
    this.answers = new Array<ItemSettlement>(size);
    this.remaining = size;
  }

  get isAnswered(): boolean {
    return this.remaining === 0;
  }

  /** Called by the request's items, each exactly once (PendingItem guards that). */
  settleSlot(slot: number, answer: ItemSettlement): void {
    this.answers[slot] = answer;
    this.onItem?.(this, answer);
    if (--this.remaining === 0) this.onDone(this.answers);
  }
}

/**
 * One accepted single-item request, from admission to answer. `settle` is guarded: the
 * first call wins and later ones are ignored, so a late invocation result (after a timeout)
 * or a retry racing a drain can never answer a request twice.
 */
export class PendingItem {
  attempts = 0;
  readonly arrivalMs: number;
  private settled = false;

  constructor(
    readonly input: EventInput,
    readonly payloadBytes: number,
    private readonly request: PendingRequest,
    private readonly slot: number,
  ) {
    this.arrivalMs = request.arrivalMs;
  }

  get isSettled(): boolean {
    return this.settled;
  }

  settle(answer: ItemSettlement): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.request.settleSlot(this.slot, answer);
    return true;
  }
}
