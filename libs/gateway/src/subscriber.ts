/**
 * One subscriber: its initial state joined exactly with the log, then its changes.
 *
 * WHY THE JOIN IS EXACT. When a client connects without a position, the gateway notes its own read
 * vector G (every entry at or before G is already in the log, so its transaction committed before
 * what follows). It then reads the table in one REPEATABLE READ transaction whose first statement
 * records the snapshot S (xmin:xmax:xip) and the WAL position. The rows are exactly the effects of
 * the transactions visible in S. Every log entry at or before G committed before S was taken, so it
 * is visible and already in the rows. Every entry after G is checked: its xid visible in S means it
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
import { readInitialState, type KeyedRow } from './initial-state';
import { formatPositions, type PositionVector } from './positions';
import type { SseStream } from './sse-stream';
import type { BoundFilter } from './subscription-filter';
import { xidVisible, type SourceSnapshot } from './visibility';

export interface QueuedEntry {
  partition: number;
  entry: LogEntry;
  /** The gateway's read vector right after this entry was read. */
  vector: readonly string[];
}

export interface SubscriberContext {
  redis: RedisClient;
  keys: LogKeys;
  pool: Pool;
  types: TypeResolver;
  maxBufferBytes: number;
  /** The gateway's current read vector. */
  readVector(): PositionVector;
  place(subscriber: Subscriber): void;
  hold(subscriber: Subscriber, key: string, held: boolean): void;
}

class ResetNeeded extends Error {}

const CATCH_UP_PAGE = 500;
/**
 * Entries waiting for this subscriber (while its initial state is read, a resume catches up, or its
 * filter runs). They are shared with every other subscriber (references, not copies), so the bound
 * is a count; the bytes a client has not read are bounded by the stream (gateway.maxBufferBytes).
 */
const MAX_QUEUED_ENTRIES = 100_000;

export class Subscriber {
  mode: 'starting' | 'live' | 'closed' = 'starting';
  /** Resumed: which keys the client holds is learnt key by key from the log. */
  lazy = false;
  private idVector: PositionVector = [];
  private queue: QueuedEntry[] = [];
  /** Index of the next entry to take (a shift would make draining quadratic). */
  private head = 0;
  private queuedBytes = 0;
  private draining = false;
  private readonly members = new Set<string>();
  private readonly decided = new Set<string>();
  private snapshot: SourceSnapshot | undefined;
  private resumedAt: PositionVector = [];

  constructor(
    readonly filter: BoundFilter,
    private readonly stream: SseStream,
    private readonly ctx: SubscriberContext,
  ) {
    stream.onClose(() => this.close());
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
  }

  /** Called by the fan-out for every entry that may concern this subscriber, in per-partition order. */
  enqueue(item: QueuedEntry): void {
    if (this.mode === 'closed') return;
    this.queue.push(item);
    this.queuedBytes += item.entry.size;
    // Slow clients: a live subscriber waits for its socket to take what was written (never the
    // fan-out); entries that pile up meanwhile beyond gateway.maxBufferBytes mean the client cannot
    // keep up → `lagging` and close. Starting subscribers are bounded by a count instead (their
    // initial state is being read while the log moves on).
    const behind = this.mode === 'live' ? this.queuedBytes > this.ctx.maxBufferBytes : this.queued > MAX_QUEUED_ENTRIES;
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

  /** Resume after `vector`, or reset when the log no longer holds what that needs. */
  async startResume(vector: PositionVector): Promise<void> {
    try {
      this.mode = 'starting';
      this.lazy = true;
      this.idVector = [...vector];
      this.resumedAt = [...vector];
      this.ctx.place(this);
      if (await this.logLost(vector)) throw new ResetNeeded();
      const upTo = this.ctx.readVector();
      for (let partition = 0; partition < vector.length; partition++) {
        let after = vector[partition];
        while (this.mode === 'starting' && compareIds(after, upTo[partition]) < 0) {
          const page = await readRange(
            this.ctx.redis,
            this.ctx.keys,
            partition,
            `(${after}`,
            upTo[partition],
            CATCH_UP_PAGE,
          );
          if (page.length === 0) break;
          for (const entry of page) {
            const at = [...this.idVector];
            at[partition] = entry.id;
            await this.apply({ partition, entry, vector: at });
          }
          after = page[page.length - 1].id;
        }
      }
      if (this.mode !== 'starting') return;
      this.goLive();
    } catch (error) {
      if (error instanceof ResetNeeded) await this.reset();
      else this.fail(error);
    }
  }

  private async fresh(): Promise<void> {
    this.mode = 'starting';
    this.lazy = false;
    this.snapshot = undefined;
    for (const key of this.members) this.ctx.hold(this, key, false);
    this.members.clear();
    this.decided.clear();
    this.ctx.place(this);
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.idVector = this.ctx.readVector();
    const state = await readInitialState(this.ctx.pool, this.ctx.types, this.filter);
    if (this.mode !== 'starting') return;
    this.snapshot = state.snapshot;
    const rows = state.rows;
    while (this.queued > 0 && this.mode === 'starting') await this.fold(this.takeQueued(), rows);
    if (this.mode !== 'starting') return;
    const subscription = this.filter.subscription;
    for (const [key, { key: keyColumns, row }] of rows) {
      this.stream.send('insert', exactJson({ key: keyColumns, row: subscription.project(row) }), undefined);
      this.members.add(key);
      this.ctx.hold(this, key, true);
    }
    this.goLive();
  }

  private goLive(): void {
    if (this.stream.isClosed) return;
    this.stream.send('ready', '{}', formatPositions(this.idVector));
    this.mode = 'live';
    this.ctx.place(this);
    void this.drain();
  }

  private get queued(): number {
    return this.queue.length - this.head;
  }

  private takeQueued(): QueuedEntry {
    const item = this.queue[this.head++];
    this.queuedBytes -= item.entry.size;
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return item;
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

  private fail(error: unknown): void {
    const reason = error instanceof Error ? error.constructor.name : 'Error';
    this.stream.end('error', exactJson({ reason }));
  }

  /** Advances the position; false when the entry was already accounted for. */
  private advance(item: QueuedEntry): boolean {
    if (compareIds(item.entry.id, this.idVector[item.partition]) <= 0) return false;
    for (let p = 0; p < this.idVector.length; p++)
      if (compareIds(item.vector[p], this.idVector[p]) > 0) this.idVector[p] = item.vector[p];
    return true;
  }

  /** Already in the initial rows (see the header). */
  private visibleInSnapshot(event: ChangeEvent): boolean {
    const snapshot = this.snapshot;
    if (!snapshot) return false;
    if (event.xid !== undefined) return xidVisible(event.xid, snapshot);
    return event.pos.lsn <= snapshot.lsn;
  }

  private async fold(item: QueuedEntry, rows: Map<string, KeyedRow>): Promise<void> {
    if (!this.advance(item)) return;
    const event = item.entry.event;
    if (event.table !== this.table || this.visibleInSnapshot(event)) return;
    if (event.op === 't') {
      rows.clear();
      return;
    }
    const key = canonicalKey(this.table, event.key);
    if (event.op !== 'd' && event.after && (await this.filter.matches(event.after)))
      rows.set(key, { key: event.key, row: event.after });
    else rows.delete(key);
  }

  private async apply(item: QueuedEntry): Promise<void> {
    if (!this.advance(item)) return;
    const event = item.entry.event;
    if (event.table !== this.table || this.visibleInSnapshot(event)) return;
    if (event.op === 't') throw new ResetNeeded();
    const key = canonicalKey(this.table, event.key);
    const was = await this.heldBefore(key, item.partition, event);
    const is = event.op !== 'd' && (await this.filter.matches(event.after));
    this.decided.add(key);
    const id = formatPositions(this.idVector);
    const lsn = formatLsn(event.pos.lsn);
    if (is || was) this.delivered(event);
    if (is) {
      const row = this.filter.subscription.project(event.after as Row);
      this.stream.send(was ? 'update' : 'insert', exactJson({ key: event.key, row, lsn }), id);
    } else if (was) {
      this.stream.send('delete', exactJson({ key: event.key, lsn }), id);
    }
    if (is !== this.members.has(key)) this.setHeld(key, is);
    const limit = this.filter.subscription.limit;
    if (limit !== undefined && this.members.size > limit) this.stream.end('overflow', exactJson({ limit }));
  }

  private delivered(event: ChangeEvent): void {
    const subscription = this.filter.subscription.name;
    gatewayMetrics.delivered.inc({ subscription });
    const committed = event.commitTs ? Date.parse(event.commitTs) : NaN;
    if (Number.isFinite(committed)) gatewayMetrics.deliveryLag.observe(Math.max(0, Date.now() - committed) / 1000);
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
