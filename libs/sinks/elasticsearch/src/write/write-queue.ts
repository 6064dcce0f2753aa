import type { BulkOutcome } from './bulk-op';

/** One queued write: its NDJSON lines and where its outcome goes. */
export interface Pending {
  key: string;
  body: string;
  bytes: number;
  action: 'index' | 'delete';
  resolve(outcome: BulkOutcome): void;
  reject(error: Error): void;
}

/**
 * The bulk writer's queue, in O(1) per operation: `ready` holds at most one write per key (in the
 * order they became sendable), later writes of a key wait in `parked` behind it, and a key stays
 * `busy` from the moment one of its writes is ready until its last write's request finished.
 * So a key is never in two requests (in flight or one being built), and per-key order holds.
 */
export class WriteQueue {
  private ready: Pending[] = [];
  private head = 0;
  private readonly parked = new Map<string, Pending[]>();
  private readonly busy = new Set<string>();
  private parkedCount = 0;
  /** Bytes of the ready writes. */
  readyBytes = 0;

  get readyCount(): number {
    return this.ready.length - this.head;
  }

  /** Nothing ready and nothing parked. */
  get empty(): boolean {
    return this.readyCount === 0 && this.parkedCount === 0;
  }

  push(pending: Pending): void {
    if (!this.busy.has(pending.key)) {
      this.busy.add(pending.key);
      this.makeReady(pending);
      return;
    }
    const waiting = this.parked.get(pending.key);
    if (waiting) waiting.push(pending);
    else this.parked.set(pending.key, [pending]);
    this.parkedCount++;
  }

  /** Takes ready writes in order, up to `maxDocs` and `maxBytes` (at least one). */
  take(maxDocs: number, maxBytes: number): Pending[] {
    const taken: Pending[] = [];
    let bytes = 0;
    while (this.head < this.ready.length && taken.length < maxDocs) {
      const next = this.ready[this.head];
      if (taken.length > 0 && bytes + next.bytes > maxBytes) break;
      taken.push(next);
      bytes += next.bytes;
      this.head++;
    }
    this.readyBytes -= bytes;
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    return taken;
  }

  /** A request carrying these writes finished: each key's next parked write becomes ready. */
  finished(request: readonly Pending[]): void {
    for (const done of request) {
      const waiting = this.parked.get(done.key);
      const next = waiting?.shift();
      if (!next) {
        this.busy.delete(done.key);
        continue;
      }
      if (waiting?.length === 0) this.parked.delete(done.key);
      this.parkedCount--;
      this.makeReady(next);
    }
  }

  private makeReady(pending: Pending): void {
    this.ready.push(pending);
    this.readyBytes += pending.bytes;
  }
}
