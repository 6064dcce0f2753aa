/**
 * A top-N subscriber's window joined with the log.
 *
 * TOP-N AND REFILL. A top-N subscriber keeps only the first N + K matching rows (top-n.ts states
 * why they stay the first rows through the changes). When departures leave fewer than N of an
 * incomplete set, the window is re-read by the same join as an initial state (subscriber.ts): the
 * subscriber goes back to `starting` (placed broad: it sees every entry of the table), notes the
 * read vector G, drops its queue (every queued entry is at or before G, hence visible in the new
 * snapshot S and already in the rows), takes its position to G, reads the first N + K rows at S
 * and applies the entries queued meanwhile (skipping those visible in S) — the window is then the
 * first N + K at the subscriber's position P' (G advanced by those entries), exactly as for a
 * fresh subscriber. The client still has the first N at its last boundary P (P at or before G:
 * everything handed to this subscriber was at or before G). It gets the difference between its
 * rows and the first N at P' (deletes, inserts, updates of rows whose projection changed), as one
 * transaction group whose last change carries the id of P' (with S while needed,
 * subscriber-position.ts): every id it sees is still a boundary whose state is the source's. S is
 * later than any earlier snapshot of this subscriber, so an entry visible in an earlier one is
 * visible in S too. While the re-read runs the queue is bounded (MAX_QUEUED_ENTRIES); beyond it
 * the entries are dropped and the stream sends `reset` and a fresh initial state. Entries applied
 * during the join that starve the window again start another read (at most MAX_REREADS, then
 * `reset`).
 */
import { exactJson, formatLsn, type ChangeEvent, type Row } from '@distributary/core';
import { keyOf } from './event-text';
import type { GroupQueue } from './group-queue';
import type { InitialState } from './initial-state';
import type { PositionVector } from './positions';
import { ResetNeeded } from './reset-needed';
import type { RowComparator } from './row-order';
import type { SseStream } from './sse-stream';
import type { SubscriberPosition } from './subscriber-position';
import type { BoundFilter } from './subscription-filter';
import { MAX_WINDOW_ROWS, spareRows, topNStats, TopNWindow, type WindowChange } from './top-n';
import type { TxGroup } from './tx-assembler';
import type { SourceSnapshot } from './visibility';

/** Re-reads of a top-N window in a row that the log's changes left starved again before a reset. */
const MAX_REREADS = 5;

/** What the join needs of its subscriber. */
export interface WindowHost {
  readonly filter: BoundFilter;
  readonly stream: SseStream;
  readonly queue: GroupQueue;
  readonly position: SubscriberPosition;
  /** K, the rows the window holds beyond its N (default spareRows(N)). */
  readonly spare: number | undefined;
  /** The gateway's released vector. */
  readVector(): PositionVector;
  /** The first `limit` matching rows at a fresh snapshot (initial-state.ts). */
  readRows(limit: number): Promise<InitialState>;
  /** The subscriber is still joining (mode `starting`). */
  starting(): boolean;
  /** Moves the subscriber to `starting` (placed broad) or back to `live`. */
  enter(mode: 'starting' | 'live'): void;
  /** Tells the fan-out the window holds (or no longer holds) a key. */
  hold(key: string, held: boolean): void;
  /** Metrics of one delivered transaction. */
  delivered(event: ChangeEvent | undefined, changes: number): void;
}

export class TopNJoin {
  private window: TopNWindow | undefined;
  /** Re-reading the window (a live subscriber back in `starting`): its queue is bounded. */
  private refilling = false;
  /** The queue overflowed during a refill (its entries were dropped): the refill ends in `reset`. */
  private refillOverflowed = false;

  constructor(private readonly host: WindowHost) {}

  /** The window has been read (live changes go to it). */
  get active(): boolean {
    return this.window !== undefined;
  }

  /** Rows the window holds (undefined before its first read). */
  get size(): number | undefined {
    return this.window?.size;
  }

  /**
   * The subscriber fell behind: while refilling, the client is fine but its window cannot be joined
   * with the log any more (the queue is dropped, `reset` after the read). False when not refilling.
   */
  overflow(): boolean {
    if (!this.refilling) return false;
    this.refillOverflowed = true;
    this.host.queue.drop();
    return true;
  }

  clear(): void {
    this.window?.clear();
    this.window = undefined;
  }

  /** Reads the window and sends its first N as the initial rows; false when the subscriber closed meanwhile. */
  async initialState(after: Promise<void> | undefined): Promise<boolean> {
    const window = await this.read(after);
    if (!window) return false;
    const subscription = this.host.filter.subscription;
    for (const { key, row } of window.initial())
      this.host.stream.send('insert', exactJson({ key, row: subscription.project(row) }), undefined);
    return true;
  }

  /**
   * A live transaction: the window takes the changes, then the client gets what turns its rows
   * into the new first N (entering/leaving the top N, backfill, updates inside it), all with the
   * transaction's commit LSN and the last one with the id (top-n.ts). A window left starved is
   * refilled instead.
   */
  async apply(group: TxGroup): Promise<void> {
    const window = this.window as TopNWindow;
    const { touched, last } = await this.take(window, group, false);
    if (!last) return;
    if (window.size > MAX_WINDOW_ROWS) {
      this.host.stream.end('overflow', exactJson({ rows: MAX_WINDOW_ROWS }));
      return;
    }
    if (window.starved) return this.refill();
    const changes = window.diff((canonical) => touched.has(canonical));
    this.send(changes, formatLsn(last.pos.lsn), this.host.position.idText(group.vector), last);
  }

  /**
   * The window read from the source and joined with the log exactly like a fresh initial state
   * (subscriber.ts): the read vector G, the first N + K matching rows at a snapshot S taken after
   * G, then the entries queued meanwhile applied to the window (skipping those visible in S). The
   * window is then the first rows at the subscriber's position. When those entries leave it
   * starved again, it is read again (at most MAX_REREADS times, then `reset`). Undefined when the
   * subscriber closed meanwhile.
   */
  private async read(after?: Promise<void>): Promise<TopNWindow | undefined> {
    const host = this.host;
    const limit = host.filter.subscription.limit ?? Infinity;
    const capacity = limit + Math.max(1, host.spare ?? spareRows(limit));
    for (let attempt = 0; attempt < MAX_REREADS; attempt++) {
      // Every entry at or before G was handed to the fan-out before S was taken: it committed
      // before S, so it is visible in S (in the rows) — the queue's entries (all at or before G)
      // are dropped, and the position becomes G.
      host.queue.drop();
      host.position.vector = host.readVector();
      const [state] = await Promise.all([host.readRows(capacity), attempt === 0 ? after : undefined]);
      if (!host.starting()) return undefined;
      if (this.refillOverflowed) throw new ResetNeeded();
      host.position.snapshot = state.snapshot;
      let window = this.window;
      if (!window) {
        window = new TopNWindow(state.compare as RowComparator, limit, capacity - limit, (key, held) =>
          host.hold(key, held),
        );
        this.window = window;
      }
      window.load(state.rows, state.complete);
      while (host.queue.size > 0 && host.starting()) await this.take(window, host.queue.take(), true);
      if (!host.starting()) return undefined;
      if (this.refillOverflowed) throw new ResetNeeded();
      if (!window.starved) return window;
    }
    throw new ResetNeeded();
  }

  /** Applies a group's changes of the table to the window; `folding`: a join, where TRUNCATE empties it. */
  private async take(
    window: TopNWindow,
    group: TxGroup,
    folding: boolean,
  ): Promise<{ touched: Set<string>; last: ChangeEvent | undefined }> {
    const { filter, position } = this.host;
    const touched = new Set<string>();
    let last: ChangeEvent | undefined;
    for (const { entry } of position.advance(group)) {
      const event = entry.event;
      if (event.table !== filter.subscription.table || position.visibleInSnapshot(event)) continue;
      if (event.op === 't') {
        if (!folding) throw new ResetNeeded();
        window.load([], true);
        continue;
      }
      const key = keyOf(event);
      const matches = event.op !== 'd' && event.after !== undefined && (await filter.matches(event.after));
      window.change(key, matches ? { key: event.key, row: event.after as Row } : undefined);
      touched.add(key);
      last = event;
    }
    return { touched, last };
  }

  /**
   * Refills a starved window: the client still has the first N of its last boundary P; the window is
   * re-read and joined with the log (read) while the stream is buffered for this subscriber (placed
   * broad, bounded by MAX_QUEUED_ENTRIES, beyond which the refill ends in `reset`), then the client
   * gets only the difference, as one transaction group at the joined position.
   */
  private async refill(): Promise<void> {
    this.refilling = true;
    this.refillOverflowed = false;
    this.host.enter('starting');
    let read: TopNWindow | undefined;
    try {
      read = await this.read();
    } finally {
      this.refilling = false;
    }
    if (!read) return;
    const snapshotLsn = (this.host.position.snapshot as SourceSnapshot).lsn;
    const subscription = this.host.filter.subscription;
    const project = subscription.project.bind(subscription);
    const changes = read.diff((_, before, after) => exactJson(project(before)) !== exactJson(project(after)));
    this.host.enter('live');
    topNStats.refills++;
    this.send(changes, formatLsn(snapshotLsn), this.host.position.idText(), undefined);
  }

  private send(changes: WindowChange[], lsn: string, id: string, last: ChangeEvent | undefined): void {
    if (changes.length === 0) return;
    const subscription = this.host.filter.subscription;
    changes.forEach(({ event, key, row }, i) => {
      this.host.stream.send(
        event,
        exactJson(row ? { key, row: subscription.project(row), lsn } : { key, lsn }),
        i === changes.length - 1 ? id : undefined,
      );
    });
    this.host.delivered(last, changes.length);
  }
}
