/**
 * The order of overlapping apply() calls of one partition (the worker may call apply() for the next
 * batch before the previous one resolved; see `Sink.batchesInFlight` in core). Each call takes a turn:
 *  - a batch whose plan does not read the index (no joins, no truncate) waits only until the batch
 *    before it QUEUED its writes in the bulk writer; the writer then keeps per-key order (a key is
 *    never in two requests at once, a later write of a key waits for the earlier one's request), so
 *    every key sees the writes of the two batches in log order, exactly as if applied one after the
 *    other, while the second batch's request no longer waits for the first one's round trip;
 *  - a batch whose plan reads the index (a joined plan, a truncate's index search) waits until the
 *    batch before it SETTLED, so it sees every earlier write, as a strictly sequential loop does.
 * A turn that ends in failure still passes its turn on: the worker re-applies the failed batch and every
 * later one in order (as a replay after a crash would), whatever their first outcome.
 */
export interface ApplyTurn {
  /** Resolves when this batch may plan and queue its writes. */
  readonly ready: Promise<void>;
  /** This batch's writes are in the writer's queue: the next batch may queue its own. */
  queued(): void;
  /** This batch's apply settled (written, or failed); the next one counts as settled once every earlier one is. */
  settled(): void;
}

interface Step {
  queued: Promise<void>;
  settled: Promise<void>;
}

export class ApplyTurns {
  private readonly last = new Map<number, Step>();

  /** The next turn of `partition`; `readsIndex`: its plan reads the index (waits for the batch before to settle). */
  take(partition: number, readsIndex: boolean): ApplyTurn {
    const before = this.last.get(partition);
    let markQueued = (): void => undefined;
    let markSettled = (): void => undefined;
    const own = new Promise<void>((resolve) => (markSettled = resolve));
    const step: Step = {
      queued: new Promise<void>((resolve) => (markQueued = resolve)),
      // settled = this batch AND every batch before it (their requests may finish in any order)
      settled: before ? Promise.all([own, before.settled]).then(() => undefined) : own,
    };
    this.last.set(partition, step);
    const ready = before ? (readsIndex ? before.settled : before.queued) : Promise.resolve();
    return {
      ready,
      queued: markQueued,
      settled: () => {
        markQueued();
        markSettled();
        if (this.last.get(partition) === step) this.last.delete(partition);
      },
    };
  }
}
