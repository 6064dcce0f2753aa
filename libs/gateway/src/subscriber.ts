/**
 * One subscriber: its initial state joined exactly with the log, then its changes. Its parts, one
 * file each: the queue of transactions waiting for it (group-queue.ts), its position and snapshot
 * (subscriber-position.ts), the keys its client holds and the change each entry makes
 * (held-keys.ts), a top-N window and its refills (top-n-join.ts), a resume's checks and catch-up
 * (log-retention.ts, catch-up.ts) and `?after=` (after-wait.ts).
 *
 * WHY THE JOIN IS EXACT. When a client connects without a position, the gateway notes its own read
 * vector G (every entry at or before G is already in the log, so its transaction committed before
 * what follows). It then reads the table in one REPEATABLE READ transaction whose first statement
 * records the snapshot S (xmin:xmax:xip) and the WAL position. The rows are exactly the effects of
 * the transactions visible in S. Every log entry at or before G committed before S was taken, so it
 * is visible and already in the rows (a durable commit can still be invisible while its backend waits
 * for a synchronous standby: the read begins with pg-snapshot's beginVisibleSnapshot, which waits those
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
 * RESUME. With a position vector V the gateway replays each partition after V[p] (catch-up from the
 * log up to its read vector, then live), skipping whatever is at or before V[p]: no gap, no
 * duplicate. When the log no longer holds what is needed (log-retention.ts, held-keys.ts) the
 * stream sends `reset` and a fresh initial state.
 *
 * TRANSACTIONS. The fan-out hands over whole transactions (tx-assembler.ts); a resume's catch-up
 * merges the partitions by commit LSN. The changes of one group are written back to back and only
 * the last carries the id, so every id is a transaction boundary.
 */
import type { Pool } from 'pg';
import { exactJson, type ChangeEvent } from '@distributary/core';
import type { ChangeLog } from '@distributary/changelog';
import type { TypeResolver } from '@distributary/pg-catalog';
import { AfterTimeout, afterTimeoutData, waitPassed } from './after-wait';
import { catchUp } from './catch-up';
import { keyOf } from './event-text';
import { gatewayMetrics } from './gateway-metrics';
import { deliveryStats } from './gateway-status';
import { GroupQueue } from './group-queue';
import { HeldKeys, type Outgoing } from './held-keys';
import { readInitialState, type KeyedRow } from './initial-state';
import { logLost } from './log-retention';
import type { PositionVector, ResumePoint } from './positions';
import { ResetNeeded } from './reset-needed';
import type { SseStream } from './sse-stream';
import { SubscriberPosition } from './subscriber-position';
import type { BoundFilter } from './subscription-filter';
import { TopNJoin, type WindowHost } from './top-n-join';
import type { TxGroup } from './tx-assembler';

/** What a subscriber gets from its gateway. */
export interface SubscriberContext {
  log: ChangeLog;
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

export class Subscriber {
  mode: 'starting' | 'live' | 'closed' = 'starting';
  private readonly queue = new GroupQueue();
  private readonly position = new SubscriberPosition();
  private readonly held: HeldKeys;
  /** A top-N subscription's window joined with the log; undefined for a plain one. */
  private topN: TopNJoin | undefined;
  private draining = false;
  private readonly metricLabels: { subscription: string };

  constructor(
    readonly filter: BoundFilter,
    private readonly stream: SseStream,
    private readonly ctx: SubscriberContext,
    /** `?after=`: `ready` waits until the gateway has passed this source LSN. */
    private readonly after?: bigint,
  ) {
    this.held = new HeldKeys(filter, this.position, ctx.log, (key, held) => ctx.hold(this, key, held));
    this.metricLabels = { subscription: filter.subscription.name };
    stream.onClose(() => this.close());
  }

  /** Resumed: which keys the client holds is learnt key by key from the log. */
  get lazy(): boolean {
    return this.held.lazy;
  }

  /** Rows this subscriber keeps: a top-N window's held rows, else the keys its client holds. */
  get heldRows(): number {
    return this.topN?.size ?? this.held.size;
  }

  get table(): string {
    return this.filter.subscription.table;
  }

  close(): void {
    if (this.mode === 'closed') return;
    this.mode = 'closed';
    this.queue.drop();
    this.ctx.place(this);
    this.held.releaseAll();
    this.topN?.clear();
    this.topN = undefined;
  }

  /** Called by the fan-out with a transaction's entries that may concern this subscriber, in per-partition order. */
  enqueue(group: TxGroup): void {
    if (this.mode === 'closed') return;
    this.queue.push(group);
    if (this.queue.behind(this.mode === 'live', this.ctx.maxBufferBytes)) {
      // A refilling top-N window: the client is fine, the refill ends in `reset`. Otherwise the
      // client cannot keep up → `lagging` and close.
      if (!this.topN?.overflow()) this.stream.end('lagging', '{}');
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
      this.held.resume(vector);
      this.position.vector = [...vector];
      this.position.snapshot = point.snapshot;
      this.ctx.place(this);
      if (await logLost(this.ctx.log.redis, this.ctx.log.keys, vector)) throw new ResetNeeded();
      await catchUp(
        {
          log: this.ctx.log,
          position: () => this.position.vector,
          running: () => this.mode === 'starting',
          apply: (group) => this.apply(group),
        },
        this.ctx.readVector(),
      );
      if (this.after !== undefined) await this.passedAfter(this.after);
      while (this.queue.size > 0 && this.mode === 'starting') await this.apply(this.queue.take());
      if (this.mode !== 'starting') return;
      this.goLive();
    } catch (error) {
      if (error instanceof ResetNeeded) await this.reset();
      else this.fail(error);
    }
  }

  private async fresh(): Promise<void> {
    this.mode = 'starting';
    this.position.snapshot = undefined;
    this.held.clear();
    this.topN?.clear();
    this.topN = undefined;
    this.ctx.place(this);
    const after = this.after !== undefined ? this.passedAfter(this.after) : undefined;
    const subscription = this.filter.subscription;
    if (subscription.windowed) {
      const topN = new TopNJoin(this.windowHost());
      this.topN = topN;
      if (await topN.initialState(after)) this.goLive();
      return;
    }
    this.queue.drop();
    this.position.vector = this.ctx.readVector();
    const [state] = await Promise.all([readInitialState(this.ctx.pool, this.ctx.types, this.filter), after]);
    if (this.mode !== 'starting') return;
    this.position.snapshot = state.snapshot;
    const rows = state.rows;
    while (this.queue.size > 0 && this.mode === 'starting') await this.fold(this.queue.take(), rows);
    if (this.mode !== 'starting') return;
    for (const [key, { key: keyColumns, row }] of rows) {
      this.stream.send('insert', exactJson({ key: keyColumns, row: subscription.project(row) }), undefined);
      this.held.add(key);
    }
    this.goLive();
  }

  /** What a top-N window's join needs of this subscriber. */
  private windowHost(): WindowHost {
    return {
      filter: this.filter,
      stream: this.stream,
      queue: this.queue,
      position: this.position,
      spare: this.ctx.topNSpare,
      readVector: () => this.ctx.readVector(),
      readRows: (limit) => readInitialState(this.ctx.pool, this.ctx.types, this.filter, limit),
      starting: () => this.mode === 'starting',
      enter: (mode) => {
        this.mode = mode;
        this.ctx.place(this);
      },
      hold: (key, held) => this.ctx.hold(this, key, held),
      delivered: (event, changes) => this.delivered(event, changes),
    };
  }

  private goLive(): void {
    if (this.stream.isClosed) return;
    this.stream.send('ready', '{}', this.position.idText());
    this.mode = 'live';
    this.ctx.place(this);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.mode === 'live' && this.queue.size > 0) {
        if (this.stream.unsent > this.ctx.maxBufferBytes) await this.stream.drained();
        else await this.apply(this.queue.take());
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

  /** Waits until the gateway has passed `after`, at most gateway.afterTimeout (after-wait.ts). */
  private passedAfter(after: bigint): Promise<void> {
    return waitPassed(
      (lsn, abandoned) => this.ctx.passed(lsn, abandoned),
      after,
      this.ctx.afterTimeoutMs,
      () => this.mode !== 'starting',
    );
  }

  private fail(error: unknown): void {
    if (error instanceof AfterTimeout) {
      this.stream.end('error', afterTimeoutData(this.after, this.ctx.afterTimeoutMs));
      return;
    }
    const reason = error instanceof Error ? error.constructor.name : 'Error';
    this.stream.end('error', exactJson({ reason }));
  }

  /** Folds an entry that arrived while the initial state was read into its rows (see the header). */
  private async fold(group: TxGroup, rows: Map<string, KeyedRow>): Promise<void> {
    for (const { entry } of this.position.advance(group)) {
      const event = entry.event;
      if (event.table !== this.table || this.position.visibleInSnapshot(event)) continue;
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
    if (this.topN?.active) return this.topN.apply(group);
    const out: Outgoing[] = [];
    for (const { partition, entry } of this.position.advance(group)) {
      if (entry.event.table !== this.table) continue;
      const change = await this.held.change(partition, entry.event);
      if (change) out.push(change);
    }
    if (out.length > 0) {
      const id = this.position.idText(group.vector);
      out.forEach(({ event, data }, i) => this.stream.send(event, data, i === out.length - 1 ? id : undefined));
      this.delivered(group.items[group.items.length - 1].entry.event, out.length);
    }
  }

  /** Metrics of one delivered transaction (`changes` events; one commit time, unknown for a refill). */
  private delivered(event: ChangeEvent | undefined, changes: number): void {
    gatewayMetrics.delivered.inc(this.metricLabels, changes);
    const committed = event?.commitTs ? Date.parse(event.commitTs) : NaN;
    const lagMs = Number.isFinite(committed) ? Math.max(0, Date.now() - committed) : undefined;
    if (lagMs !== undefined) gatewayMetrics.deliveryLag.observe(lagMs / 1000);
    deliveryStats.recordDelivery(lagMs, changes);
  }
}
