/**
 * One subscriber: its initial state joined exactly with the log, then its changes.
 *
 * WHY THE JOIN IS EXACT. When a client connects without a position, the gateway notes its own read
 * vector G (every entry at or before G is already in the log, so its transaction committed before
 * what follows). It then reads the table in one REPEATABLE READ transaction whose first statement
 * records the snapshot S (xmin:xmax:xip) and the WAL position. The rows are exactly the effects of
 * the transactions visible in S. Every log entry at or before G committed before S was taken, so it
 * is visible and already in the rows (a durable commit can still be invisible while its backend waits
 * for a synchronous standby: the read begins with pg-source's beginVisibleSnapshot, which waits those
 * out). Every entry after G is checked: its xid visible in S means it
 * is already in the rows → skipped for this subscriber; not visible → applied. For one key this is
 * a clean cut: writers of one row are serialized by its row lock, and a transaction leaves the
 * snapshot's in-progress set (ProcArrayEndTransaction) before it releases its locks, so if a later
 * writer of the key is visible in S, every earlier writer of the key is too — the visible entries of
 * a key are a prefix of that key's entries in its partition. Entries without an xid (incremental
 * snapshot rows, read at a watermark) are skipped when their position is at or before S's WAL
 * position, else applied (their row is the key's state between the watermarks, never older than S).
 * Entries after G that arrive while the table is read are folded into the rows before anything is
 * sent, so the initial rows are the state at the `ready` id; the check keeps running afterwards for
 * entries the tail had not read yet.
 *
 * CHANGES. For an entry on the table: after matches and before matched → update; only after →
 * insert (enter); only before → delete (leave). "Before matched" is this subscriber's own record of
 * the keys its client holds, not the event's before image (which pgoutput only sends for REPLICA
 * IDENTITY FULL). TRUNCATE → `reset` and a fresh initial state.
 *
 * RESUME. With a position vector V the gateway replays each partition after V[p] (catch-up from the
 * log up to its read vector, then live), skipping whatever is at or before V[p]: no gap, no
 * duplicate. It does not know which keys the client holds, so the first entry of a key after V
 * looks up the key's latest entry at or before V[p] in the log (bounded backwards scan) and
 * evaluates the filter on it. When the log no longer holds what is needed — entries after V[p] were
 * deleted (compaction, retention: XINFO max-deleted-entry-id), V[p] is beyond the partition, or a
 * key's earlier entry is not found — the stream sends `reset` and a fresh initial state.
 *
 * IDS AFTER AN INITIAL STATE. The rows can contain the effect of a transaction visible in S whose
 * entries the tail had not read yet (they are skipped when they arrive). A bare vector would make a
 * client resuming from it receive them again, so ids carry S (`~<snapshot>`, positions.ts) until
 * every partition has passed S's WAL position, and a resume with S skips entries visible in it
 * too (for a resumed client, such an entry also says whether the client holds its key).
 *
 * TOP-N AND REFILL. A top-N subscriber keeps only the first N + K matching rows (top-n.ts states
 * why they stay the first rows through the changes). When departures leave fewer than N of an
 * incomplete set, the window is re-read by the same join as an initial state: the subscriber goes
 * back to `starting` (placed broad: it sees every entry of the table), notes the read vector G,
 * drops its queue (every queued entry is at or before G, hence visible in the new snapshot S and
 * already in the rows), takes its position to G, reads the first N + K rows at S and applies the
 * entries queued meanwhile (skipping those visible in S) — the window is then the first N + K at
 * the subscriber's position P' (G advanced by those entries), exactly as for a fresh subscriber.
 * The client still has the first N at its last boundary P (P at or before G: everything handed to
 * this subscriber was at or before G). It gets the difference between its rows and the first N at
 * P' (deletes, inserts, updates of rows whose projection changed), as one transaction group whose
 * last change carries the id of P' (with S while needed, below): every id it sees is still a
 * boundary whose state is the source's. S is later than any earlier snapshot of this subscriber,
 * so an entry visible in an earlier one is visible in S too. While the re-read runs the queue is
 * bounded (MAX_QUEUED_ENTRIES); beyond it the entries are dropped and the stream sends `reset`
 * and a fresh initial state. Entries applied during the join that starve the window again start
 * another read (at most MAX_REREADS, then `reset`).
 *
 * TRANSACTIONS. The fan-out hands over whole transactions (tx-assembler.ts); a resume's catch-up
 * merges the partitions by commit LSN. The changes of one group are written back to back and only
 * the last carries the id, so every id is a transaction boundary.
 *
 * READ YOUR WRITES. With `after` (a source LSN), `ready` waits until the gateway has passed it
 * (lsn-watch.ts): the initial rows (or the resume's catch-up) then include the client's write.
 */
import type { Pool } from 'pg';
import {
  canonicalKey,
  compareIds,
  exactJson,
  formatLsn,
  START_ID,
  type ChangeEvent,
  type Row,
} from '@distributary/core';
import {
  findLatestEventOfKey,
  nextId,
  readRange,
  type LogEntry,
  type LogKeys,
  type RedisClient,
} from '@distributary/changelog';
import type { TypeResolver } from '@distributary/pg-source';
import { gatewayMetrics } from './gateway-metrics';
import { deliveryStats } from './gateway-status';
import { readInitialState, type KeyedRow } from './initial-state';
import { formatResumeId, type PositionVector, type ResumePoint } from './positions';
import type { RowComparator } from './row-order';
import type { SseStream } from './sse-stream';
import type { BoundFilter } from './subscription-filter';
import { MAX_WINDOW_ROWS, spareRows, topNStats, TopNWindow, type WindowChange } from './top-n';
import { idLsn, type GroupItem, type TxGroup } from './tx-assembler';
import { xidVisible, type SourceSnapshot } from './visibility';

export interface SubscriberContext {
  redis: RedisClient;
  keys: LogKeys;
  pool: Pool;
  types: TypeResolver;
  maxBufferBytes: number;
  /** How long `?after=` may hold `ready` back (gateway.afterTimeout). */
  afterTimeoutMs: number;
  /** The gateway's released vector (everything at or before it was handed to the fan-out). */
  readVector(): PositionVector;
  /** Resolves once the gateway has handed on every log entry up to this source LSN. */
  passed(lsn: bigint, abandoned: () => boolean): Promise<void>;
  place(subscriber: Subscriber): void;
  hold(subscriber: Subscriber, key: string, held: boolean): void;
  /** K, the rows a top-N window holds beyond its N (default spareRows(N), top-n.ts). */
  topNSpare?: number;
}

class ResetNeeded extends Error {}

/** `?after=` was not passed within gateway.afterTimeout. */
class AfterTimeout extends Error {}

const CATCH_UP_PAGE = 500;
/**
 * Entries waiting for this subscriber (while its initial state is read, a resume catches up, or its
 * filter runs). They are shared with every other subscriber (references, not copies), so the bound
 * is a count; the bytes a client has not read are bounded by the stream (gateway.maxBufferBytes).
 */
const MAX_QUEUED_ENTRIES = 100_000;
/** Re-reads of a top-N window in a row that the log's changes left starved again before a reset. */
const MAX_REREADS = 5;

/**
 * A change's `data` is the same for every subscriber of one subscription (same projection): it is
 * serialized once per event and subscription ('' = the key-only delete), kept as long as the event.
 */
const serializedData = new WeakMap<ChangeEvent, Map<string, string>>();
/** Canonical keys and formatted vectors, computed once however many subscribers need them. */
const canonicalKeys = new WeakMap<ChangeEvent, string>();
const formattedVectors = new WeakMap<readonly string[], string>();

function keyOf(event: ChangeEvent): string {
  let key = canonicalKeys.get(event);
  if (key === undefined) canonicalKeys.set(event, (key = canonicalKey(event.table, event.key)));
  return key;
}

function serialized(event: ChangeEvent, projection: string, value: () => unknown): string {
  let byProjection = serializedData.get(event);
  if (!byProjection) serializedData.set(event, (byProjection = new Map()));
  let text = byProjection.get(projection);
  if (text === undefined) byProjection.set(projection, (text = exactJson(value())));
  return text;
}

interface Outgoing {
  event: string;
  data: string;
}

interface Cursor {
  after: string;
  page: LogEntry[];
  head: number;
  done: boolean;
}

export class Subscriber {
  mode: 'starting' | 'live' | 'closed' = 'starting';
  /** Resumed: which keys the client holds is learnt key by key from the log. */
  lazy = false;
  private idVector: PositionVector = [];
  private queue: TxGroup[] = [];
  /** Index of the next group to take (a shift would make draining quadratic). */
  private head = 0;
  private queuedBytes = 0;
  private queuedEntries = 0;
  private draining = false;
  private readonly members = new Set<string>();
  private readonly decided = new Set<string>();
  private snapshot: SourceSnapshot | undefined;
  private resumedAt: PositionVector = [];
  /** A top-N subscription's window (top-n.ts); undefined for a plain one. */
  private window: TopNWindow | undefined;
  /** A live top-N subscriber re-reading its window (REFILL in the header); its queue is bounded. */
  private refilling = false;
  /** The queue overflowed during a refill (its entries were dropped): the refill ends in `reset`. */
  private refillOverflowed = false;
  private readonly metricLabels: { subscription: string };

  constructor(
    readonly filter: BoundFilter,
    private readonly stream: SseStream,
    private readonly ctx: SubscriberContext,
    /** `?after=`: `ready` waits until the gateway has passed this source LSN. */
    private readonly after?: bigint,
  ) {
    stream.onClose(() => this.close());
    this.metricLabels = { subscription: filter.subscription.name };
  }

  /** Rows this subscriber keeps: a top-N window's held rows, else the keys its client holds. */
  get heldRows(): number {
    return this.window?.size ?? this.members.size;
  }

  get table(): string {
    return this.filter.subscription.table;
  }

  close(): void {
    if (this.mode === 'closed') return;
    this.mode = 'closed';
    this.queue = [];
    this.head = 0;
    this.ctx.place(this);
    for (const key of this.members) this.ctx.hold(this, key, false);
    this.members.clear();
    this.window?.clear();
    this.window = undefined;
  }

  /** Called by the fan-out with a transaction's entries that may concern this subscriber, in per-partition order. */
  enqueue(group: TxGroup): void {
    if (this.mode === 'closed') return;
    this.queue.push(group);
    this.queuedEntries += group.items.length;
    for (const item of group.items) this.queuedBytes += item.entry.size;
    // Slow clients: a live subscriber waits for its socket to take what was written (never the
    // fan-out); entries that pile up meanwhile beyond gateway.maxBufferBytes mean the client cannot
    // keep up → `lagging` and close. Starting subscribers are bounded by a count instead (their
    // initial state is being read while the log moves on).
    const behind =
      this.mode === 'live' ? this.queuedBytes > this.ctx.maxBufferBytes : this.queuedEntries > MAX_QUEUED_ENTRIES;
    if (behind && this.refilling) {
      // The client is fine; its window cannot be joined with the log any more: `reset` after the read.
      this.refillOverflowed = true;
      this.dropQueue();
      return;
    }
    if (behind) {
      this.stream.end('lagging', '{}');
      return;
    }
    if (this.mode === 'live' && !this.draining) void this.drain();
  }

  /** A fresh initial state, then live changes. */
  async startFresh(): Promise<void> {
    try {
      await this.fresh();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Resume after a client's id, or reset when the log no longer holds what that needs. */
  async startResume(point: ResumePoint): Promise<void> {
    try {
      // A top-N window depends on every matching row at the client's position, which the log alone
      // cannot give back: a resumed top-N subscriber starts over (reset + fresh state), exactly.
      if (this.filter.subscription.windowed) throw new ResetNeeded();
      const vector = point.vector;
      this.mode = 'starting';
      this.lazy = true;
      this.idVector = [...vector];
      this.resumedAt = [...vector];
      this.snapshot = point.snapshot;
      this.ctx.place(this);
      if (await this.logLost(vector)) throw new ResetNeeded();
      await this.catchUp(this.ctx.readVector());
      if (this.after !== undefined) await this.passedAfter(this.after);
      while (this.queued > 0 && this.mode === 'starting') await this.apply(this.takeQueued());
      if (this.mode !== 'starting') return;
      this.goLive();
    } catch (error) {
      if (error instanceof ResetNeeded) await this.reset();
      else this.fail(error);
    }
  }

  /** Replays the log after the client's vector up to `upTo`, partitions merged by commit LSN. */
  private async catchUp(upTo: PositionVector): Promise<void> {
    const cursors: Cursor[] = this.idVector.map((after, p) => ({
      after,
      page: [],
      head: 0,
      done: compareIds(after, upTo[p]) >= 0,
    }));
    const peek = async (p: number): Promise<LogEntry | undefined> => {
      const cursor = cursors[p];
      if (cursor.head >= cursor.page.length && !cursor.done) {
        cursor.page = await readRange(this.ctx.redis, this.ctx.keys, p, `(${cursor.after}`, upTo[p], CATCH_UP_PAGE);
        cursor.head = 0;
        if (cursor.page.length === 0) cursor.done = true;
        else cursor.after = cursor.page[cursor.page.length - 1].id;
      }
      return cursor.page[cursor.head];
    };
    while (this.mode === 'starting') {
      let lsn: bigint | undefined;
      for (let p = 0; p < cursors.length; p++) {
        const entry = await peek(p);
        if (entry && (lsn === undefined || idLsn(entry.id) < lsn)) lsn = idLsn(entry.id);
      }
      if (lsn === undefined) return;
      const items: GroupItem[] = [];
      const vector = [...this.idVector];
      for (let p = 0; p < cursors.length; p++) {
        for (let entry = await peek(p); entry && idLsn(entry.id) === lsn; entry = await peek(p)) {
          items.push({ partition: p, entry });
          vector[p] = entry.id;
          cursors[p].head++;
        }
      }
      await this.apply({ items, vector });
    }
  }

  private async fresh(): Promise<void> {
    this.mode = 'starting';
    this.lazy = false;
    this.snapshot = undefined;
    for (const key of this.members) this.ctx.hold(this, key, false);
    this.members.clear();
    this.window?.clear();
    this.window = undefined;
    this.refilling = false;
    this.refillOverflowed = false;
    this.decided.clear();
    this.ctx.place(this);
    const after = this.after !== undefined ? this.passedAfter(this.after) : undefined;
    const subscription = this.filter.subscription;
    if (subscription.windowed) {
      const window = await this.readWindow(after);
      if (!window) return;
      for (const { key, row } of window.initial())
        this.stream.send('insert', exactJson({ key, row: subscription.project(row) }), undefined);
      this.goLive();
      return;
    }
    this.dropQueue();
    this.idVector = this.ctx.readVector();
    const [state] = await Promise.all([readInitialState(this.ctx.pool, this.ctx.types, this.filter), after]);
    if (this.mode !== 'starting') return;
    this.snapshot = state.snapshot;
    const rows = state.rows;
    while (this.queued > 0 && this.mode === 'starting') await this.fold(this.takeQueued(), rows);
    if (this.mode !== 'starting') return;
    for (const [key, { key: keyColumns, row }] of rows) {
      this.stream.send('insert', exactJson({ key: keyColumns, row: subscription.project(row) }), undefined);
      this.members.add(key);
      this.ctx.hold(this, key, true);
    }
    this.goLive();
  }

  private dropQueue(): void {
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.queuedEntries = 0;
  }

  /**
   * A top-N subscriber's window read from the source and joined with the log exactly like a fresh
   * initial state (the header): the read vector G, the first N + K matching rows at a snapshot S
   * taken after G, then the entries queued meanwhile applied to the window (skipping those visible
   * in S). The window is then the first rows at the subscriber's position. When those entries leave
   * it starved again, it is read again (at most MAX_REREADS times, then `reset`). Undefined when
   * the subscriber closed meanwhile.
   */
  private async readWindow(after?: Promise<void>): Promise<TopNWindow | undefined> {
    const subscription = this.filter.subscription;
    const limit = subscription.limit ?? Infinity;
    const capacity = limit + Math.max(1, this.ctx.topNSpare ?? spareRows(limit));
    for (let attempt = 0; attempt < MAX_REREADS; attempt++) {
      // Every entry at or before G was handed to the fan-out before S was taken: it committed
      // before S, so it is visible in S (in the rows) — the queue's entries (all at or before G)
      // are dropped, and the position becomes G.
      this.dropQueue();
      this.idVector = this.ctx.readVector();
      const [state] = await Promise.all([
        readInitialState(this.ctx.pool, this.ctx.types, this.filter, capacity),
        attempt === 0 ? after : undefined,
      ]);
      if (this.mode !== 'starting') return undefined;
      if (this.refillOverflowed) throw new ResetNeeded();
      this.snapshot = state.snapshot;
      let window = this.window;
      if (!window) {
        window = new TopNWindow(state.compare as RowComparator, limit, capacity - limit, (key, held) =>
          this.ctx.hold(this, key, held),
        );
        this.window = window;
      }
      window.load(state.rows, state.complete);
      while (this.queued > 0 && this.mode === 'starting') await this.takeWindowed(window, this.takeQueued(), true);
      if (this.mode !== 'starting') return undefined;
      if (this.refillOverflowed) throw new ResetNeeded();
      if (!window.starved) return window;
    }
    throw new ResetNeeded();
  }

  private goLive(): void {
    if (this.stream.isClosed) return;
    this.stream.send('ready', '{}', this.idText());
    this.mode = 'live';
    this.ctx.place(this);
    void this.drain();
  }

  /** The id of the current position: the vector, and the snapshot while entries visible in it may follow. */
  private idText(shared?: readonly string[]): string {
    const snapshot = this.snapshot;
    if (snapshot && this.idVector.every((id) => idLsn(id) > snapshot.lsn)) this.snapshot = undefined;
    // Live subscribers' positions usually equal the group's released vector: format it once for all.
    if (!this.snapshot && shared && this.idVector.every((id, p) => id === shared[p])) {
      let text = formattedVectors.get(shared);
      if (text === undefined) formattedVectors.set(shared, (text = formatResumeId(this.idVector, undefined)));
      return text;
    }
    return formatResumeId(this.idVector, this.snapshot);
  }

  private get queued(): number {
    return this.queue.length - this.head;
  }

  private takeQueued(): TxGroup {
    const group = this.queue[this.head++];
    this.queuedEntries -= group.items.length;
    for (const item of group.items) this.queuedBytes -= item.entry.size;
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return group;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.mode === 'live' && this.queued > 0) {
        if (this.stream.unsent > this.ctx.maxBufferBytes) await this.stream.drained();
        else await this.apply(this.takeQueued());
      }
    } catch (error) {
      this.draining = false;
      if (error instanceof ResetNeeded) await this.reset();
      else this.fail(error);
      return;
    }
    this.draining = false;
  }

  private async reset(): Promise<void> {
    if (this.mode === 'closed') return;
    this.stream.send('reset', '{}', undefined);
    gatewayMetrics.resets.inc({ subscription: this.filter.subscription.name });
    await this.startFresh();
  }

  /** Waits until the gateway has passed `after`, at most gateway.afterTimeout. */
  private async passedAfter(after: bigint): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      await Promise.race([
        this.ctx.passed(after, () => timedOut || this.mode !== 'starting'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            timedOut = true;
            reject(new AfterTimeout());
          }, this.ctx.afterTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private fail(error: unknown): void {
    if (error instanceof AfterTimeout) {
      const after = this.after === undefined ? '' : formatLsn(this.after);
      const seconds = this.ctx.afterTimeoutMs / 1000;
      this.stream.end(
        'error',
        exactJson({
          reason: 'after-timeout',
          message: `the gateway did not pass ?after=${after} within ${seconds}s (gateway.afterTimeout): is the connector running?`,
        }),
      );
      return;
    }
    const reason = error instanceof Error ? error.constructor.name : 'Error';
    this.stream.end('error', exactJson({ reason }));
  }

  /** The group's entries this subscriber has not accounted for yet; advances the position past the group. */
  private advance(group: TxGroup): GroupItem[] {
    const fresh = group.items.filter((item) => compareIds(item.entry.id, this.idVector[item.partition]) > 0);
    for (let p = 0; p < this.idVector.length; p++) {
      const at = group.vector[p];
      if (at !== this.idVector[p] && compareIds(at, this.idVector[p]) > 0) this.idVector[p] = at;
    }
    return fresh;
  }

  /** Already in the initial rows (see the header). */
  private visibleInSnapshot(event: ChangeEvent): boolean {
    const snapshot = this.snapshot;
    if (!snapshot) return false;
    if (event.xid !== undefined) return xidVisible(event.xid, snapshot);
    return event.pos.lsn <= snapshot.lsn;
  }

  private async fold(group: TxGroup, rows: Map<string, KeyedRow>): Promise<void> {
    for (const { entry } of this.advance(group)) {
      const event = entry.event;
      if (event.table !== this.table || this.visibleInSnapshot(event)) continue;
      if (event.op === 't') {
        rows.clear();
        continue;
      }
      const key = keyOf(event);
      if (event.op !== 'd' && event.after && (await this.filter.matches(event.after)))
        rows.set(key, { key: event.key, row: event.after });
      else rows.delete(key);
    }
  }

  /** Applies one transaction: its changes are sent back to back, the last one with the id. */
  private async apply(group: TxGroup): Promise<void> {
    if (this.window) return this.applyWindowed(this.window, group);
    const out: Outgoing[] = [];
    for (const { partition, entry } of this.advance(group)) {
      const change = await this.change(partition, entry.event);
      if (change) out.push(change);
    }
    if (out.length > 0) {
      const id = this.idText(group.vector);
      out.forEach(({ event, data }, i) => this.stream.send(event, data, i === out.length - 1 ? id : undefined));
      this.delivered(group.items[group.items.length - 1].entry.event, out.length);
    }
  }

  /**
   * A top-N subscriber's transaction: the window takes the changes, then the client gets what turns
   * its rows into the new first N (entering/leaving the top N, backfill, updates inside it), all
   * with the transaction's commit LSN and the last one with the id (top-n.ts). A window left
   * starved is refilled instead (REFILL in the header).
   */
  private async applyWindowed(window: TopNWindow, group: TxGroup): Promise<void> {
    const { touched, last } = await this.takeWindowed(window, group, false);
    if (!last) return;
    if (window.size > MAX_WINDOW_ROWS) {
      this.stream.end('overflow', exactJson({ rows: MAX_WINDOW_ROWS }));
      return;
    }
    if (window.starved) return this.refill();
    const changes = window.diff((canonical) => touched.has(canonical));
    this.sendWindowChanges(changes, formatLsn(last.pos.lsn), this.idText(group.vector), last);
  }

  /** Applies a group's changes of the table to the window; `folding`: a join, where TRUNCATE empties it. */
  private async takeWindowed(
    window: TopNWindow,
    group: TxGroup,
    folding: boolean,
  ): Promise<{ touched: Set<string>; last: ChangeEvent | undefined }> {
    const touched = new Set<string>();
    let last: ChangeEvent | undefined;
    for (const { entry } of this.advance(group)) {
      const event = entry.event;
      if (event.table !== this.table || this.visibleInSnapshot(event)) continue;
      if (event.op === 't') {
        if (!folding) throw new ResetNeeded();
        window.load([], true);
        continue;
      }
      const key = keyOf(event);
      const matches = event.op !== 'd' && event.after !== undefined && (await this.filter.matches(event.after));
      window.change(key, matches ? { key: event.key, row: event.after as Row } : undefined);
      touched.add(key);
      last = event;
    }
    return { touched, last };
  }

  /**
   * Refills a starved window: the client still has the first N of its last boundary P; the window is
   * re-read and joined with the log (readWindow) while the stream is buffered for this subscriber
   * (placed broad, bounded by MAX_QUEUED_ENTRIES, beyond which the refill ends in `reset`), then
   * the client gets only the difference, as one transaction group at the joined position.
   */
  private async refill(): Promise<void> {
    this.mode = 'starting';
    this.refilling = true;
    this.refillOverflowed = false;
    this.ctx.place(this);
    let read: TopNWindow | undefined;
    try {
      read = await this.readWindow();
    } finally {
      this.refilling = false;
    }
    if (!read) return;
    const snapshotLsn = (this.snapshot as SourceSnapshot).lsn;
    const project = this.filter.subscription.project.bind(this.filter.subscription);
    const changes = read.diff((_, before, after) => exactJson(project(before)) !== exactJson(project(after)));
    this.mode = 'live';
    this.ctx.place(this);
    topNStats.refills++;
    this.sendWindowChanges(changes, formatLsn(snapshotLsn), this.idText(), undefined);
  }

  private sendWindowChanges(changes: WindowChange[], lsn: string, id: string, last: ChangeEvent | undefined): void {
    if (changes.length === 0) return;
    const subscription = this.filter.subscription;
    changes.forEach(({ event, key, row }, i) => {
      const data = row ? { key, row: subscription.project(row), lsn } : { key, lsn };
      this.stream.send(event, exactJson(data), i === changes.length - 1 ? id : undefined);
    });
    this.delivered(last, changes.length);
  }

  private async change(partition: number, event: ChangeEvent): Promise<Outgoing | undefined> {
    if (event.table !== this.table) return undefined;
    if (this.visibleInSnapshot(event)) {
      // Already in the client's rows. A resumed client holds the key as this entry left it.
      if (!this.lazy) return undefined;
      if (event.op === 't') throw new ResetNeeded();
      const key = keyOf(event);
      this.decided.add(key);
      const held = event.op !== 'd' && (await this.filter.matches(event.after));
      if (held !== this.members.has(key)) this.setHeld(key, held);
      return undefined;
    }
    if (event.op === 't') throw new ResetNeeded();
    const key = keyOf(event);
    const was = await this.heldBefore(key, partition, event);
    const is = event.op !== 'd' && (await this.filter.matches(event.after));
    this.decided.add(key);
    if (is !== this.members.has(key)) this.setHeld(key, is);
    if (!is && !was) return undefined;
    if (!is)
      return {
        event: 'delete',
        data: serialized(event, '', () => ({ key: event.key, lsn: formatLsn(event.pos.lsn) })),
      };
    const subscription = this.filter.subscription;
    const data = serialized(event, subscription.name, () => ({
      key: event.key,
      row: subscription.project(event.after as Row),
      lsn: formatLsn(event.pos.lsn),
    }));
    return { event: was ? 'update' : 'insert', data };
  }

  /** Metrics of one delivered transaction (`changes` events; one commit time, unknown for a refill). */
  private delivered(event: ChangeEvent | undefined, changes: number): void {
    gatewayMetrics.delivered.inc(this.metricLabels, changes);
    const committed = event?.commitTs ? Date.parse(event.commitTs) : NaN;
    const lagMs = Number.isFinite(committed) ? Math.max(0, Date.now() - committed) : undefined;
    if (lagMs !== undefined) gatewayMetrics.deliveryLag.observe(lagMs / 1000);
    deliveryStats.recordDelivery(lagMs, changes);
  }

  private setHeld(key: string, held: boolean): void {
    if (held) this.members.add(key);
    else this.members.delete(key);
    this.ctx.hold(this, key, held);
  }

  private async heldBefore(key: string, partition: number, event: ChangeEvent): Promise<boolean> {
    if (!this.lazy || this.decided.has(key)) return this.members.has(key);
    if (event.op === 'c') return false;
    const resumedAt = this.resumedAt[partition];
    if (resumedAt === START_ID) throw new ResetNeeded();
    const previous = await findLatestEventOfKey(
      this.ctx.redis,
      this.ctx.keys.partition(partition),
      this.table,
      event.key,
      nextId(resumedAt),
    );
    if (!previous) throw new ResetNeeded();
    return previous.op !== 'd' && previous.op !== 't' && (await this.filter.matches(previous.after));
  }

  /** True when some partition no longer holds every entry after the client's position. */
  private async logLost(vector: PositionVector): Promise<boolean> {
    for (let partition = 0; partition < vector.length; partition++) {
      const at = vector[partition];
      const info = await streamInfo(this.ctx.redis, this.ctx.keys.partition(partition));
      if (!info) {
        if (at !== START_ID) return true;
        continue;
      }
      if (compareIds(at, info.lastGenerated) > 0) return true;
      if (
        info.maxDeleted !== undefined
          ? compareIds(info.maxDeleted, at) > 0
          : compareIds(info.first ?? at, at) > 0 && at !== START_ID
      )
        return true;
    }
    return false;
  }
}

interface StreamInfo {
  lastGenerated: string;
  maxDeleted: string | undefined;
  first: string | undefined;
}

async function streamInfo(redis: RedisClient, stream: string): Promise<StreamInfo | undefined> {
  let reply: unknown[];
  try {
    reply = (await redis.call('XINFO', 'STREAM', stream)) as unknown[];
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) return undefined;
    throw error;
  }
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
  const firstEntry = fields.get('first-entry') as [string, unknown] | null | undefined;
  const maxDeleted = fields.get('max-deleted-entry-id');
  return {
    lastGenerated: String(fields.get('last-generated-id') ?? START_ID),
    maxDeleted: typeof maxDeleted === 'string' ? maxDeleted : undefined,
    first: firstEntry ? firstEntry[0] : undefined,
  };
}
