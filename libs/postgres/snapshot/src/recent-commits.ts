import { canonicalKey, type ChangeEvent, type Lsn } from '@distributary/core';
import { invisibilityTest, type SnapshotVisibility } from './snapshot-visibility';

/** How long a decoded transaction is remembered, and at most how many. */
const HORIZON_MS = 30_000;
const MAX_ENTRIES = 1 << 20;
const INITIAL_ENTRIES = 1 << 12;
/** Beyond this many keys of one watched table in one transaction, only "many" is remembered. */
const MAX_KEYS_PER_TRANSACTION = 50_000;

interface WatchedChanges {
  /** Canonical keys the transaction changed in watched tables, or 'all' (a truncate, or too many to keep). */
  byTable: Map<string, Set<string> | 'all'>;
}

/** What a chunk read has to do about transactions logged before its low watermark that its snapshot did not see. */
export interface MissedCommits {
  /** Keys to drop from the chunk: the log already holds a newer value for them, before the chunk. */
  keys: Set<string>;
  /** Drop the whole chunk (a truncate, or more keys than were kept). */
  all: boolean;
  /** Missed transactions decoded while the table was not watched: what they changed is not known. */
  unknown: number;
}

/**
 * The transactions the stream decoded recently (top-level xid and commit LSN, in stream order; for
 * tables being snapshotted also the keys they changed), so that an incremental-snapshot chunk can
 * tell whether its read saw every transaction logged before its low watermark.
 *
 * PostgreSQL writes a commit's WAL record before it takes the transaction out of the proc array, so
 * for a moment a transaction is decoded and logged while a snapshot taken then still sees it as in
 * progress — the visible-snapshot wait covers a commit waiting for a synchronous standby or a WAL
 * flush, but not a backend that is merely not scheduled between the two steps (seen under load).
 * Such a transaction's event is in the log before the low watermark and the chunk's older row would
 * follow it. The chunk knows its snapshot (pg_current_snapshot()), so at the high watermark the window
 * asks here which transactions before the low mark it could not see, and drops their keys (or reads
 * the chunk again when it cannot know them).
 *
 * Memory: three typed arrays that grow to at most MAX_ENTRIES transactions, entries older than
 * HORIZON_MS dropped; keys only for watched tables, bounded per transaction.
 */
export class RecentCommits {
  private xids = new Uint32Array(INITIAL_ENTRIES);
  private lsns = new BigUint64Array(INITIAL_ENTRIES);
  private seqs = new Float64Array(INITIAL_ENTRIES);
  private decodedAt = new Float64Array(INITIAL_ENTRIES);
  private head = 0;
  private size = 0;
  private nextSeq = 1;
  private lastXid = -1;
  private lastLsn: Lsn = -1n;
  /** Watched table → the first entry sequence number recorded while it was watched; count of watchers. */
  private readonly watched = new Map<string, { since: number; watchers: number }>();
  /** Sequence number of an entry → what it changed in watched tables. */
  private readonly changes = new Map<number, WatchedChanges>();

  /** From now on, remember which keys of `table` each transaction changes (until unwatch). */
  watch(table: string): void {
    const current = this.watched.get(table);
    if (current) current.watchers++;
    else this.watched.set(table, { since: this.nextSeq, watchers: 1 });
  }

  unwatch(table: string): void {
    const current = this.watched.get(table);
    if (!current) return;
    if (--current.watchers === 0) this.watched.delete(table);
  }

  /** Every streamed data event, in stream order. */
  observe(event: ChangeEvent): void {
    const xid = event.xid;
    if (xid === undefined) return;
    if (xid !== this.lastXid || event.pos.lsn !== this.lastLsn) this.push(xid, event.pos.lsn);
    if (this.watched.size === 0 || !this.watched.has(event.table)) return;
    const seq = this.nextSeq - 1;
    let entry = this.changes.get(seq);
    if (!entry) this.changes.set(seq, (entry = { byTable: new Map() }));
    const keys = entry.byTable.get(event.table);
    if (keys === 'all') return;
    if (event.op === 't') {
      entry.byTable.set(event.table, 'all');
      return;
    }
    const set = keys ?? new Set<string>();
    if (!keys) entry.byTable.set(event.table, set);
    set.add(canonicalKey(event.table, event.key));
    if (set.size > MAX_KEYS_PER_TRANSACTION) entry.byTable.set(event.table, 'all');
  }

  /** The transactions committed before `before` (an LSN) that `snapshot` did not see, as they concern `table`. */
  missedBy(snapshot: SnapshotVisibility, table: string, before: Lsn): MissedCommits {
    const result: MissedCommits = { keys: new Set(), all: false, unknown: 0 };
    const since = this.watched.get(table)?.since ?? Infinity;
    const invisible = invisibilityTest(snapshot);
    for (let i = this.size - 1; i >= 0; i--) {
      const at = (this.head + i) % this.xids.length;
      if (this.lsns[at] >= before) continue; // in the window or later: the window's own rule
      if (!invisible(this.xids[at])) continue;
      const seq = this.seqs[at];
      if (seq < since) {
        result.unknown++;
        continue;
      }
      const changed = this.changes.get(seq)?.byTable.get(table);
      if (changed === 'all') result.all = true;
      else if (changed) for (const key of changed) result.keys.add(key);
    }
    return result;
  }

  private push(xid: number, lsn: Lsn): void {
    const now = Date.now();
    this.evict(now);
    if (this.size === this.xids.length) this.grow();
    const at = (this.head + this.size) % this.xids.length;
    this.xids[at] = xid;
    this.lsns[at] = lsn;
    this.seqs[at] = this.nextSeq++;
    this.decodedAt[at] = now;
    this.size++;
    this.lastXid = xid;
    this.lastLsn = lsn;
  }

  private evict(now: number): void {
    while (this.size > 0 && (this.size >= MAX_ENTRIES || this.decodedAt[this.head] < now - HORIZON_MS)) {
      this.changes.delete(this.seqs[this.head]);
      this.head = (this.head + 1) % this.xids.length;
      this.size--;
    }
  }

  private grow(): void {
    const capacity = Math.min(MAX_ENTRIES, this.xids.length * 2);
    const xids = new Uint32Array(capacity);
    const lsns = new BigUint64Array(capacity);
    const seqs = new Float64Array(capacity);
    const decodedAt = new Float64Array(capacity);
    for (let i = 0; i < this.size; i++) {
      const from = (this.head + i) % this.xids.length;
      xids[i] = this.xids[from];
      lsns[i] = this.lsns[from];
      seqs[i] = this.seqs[from];
      decodedAt[i] = this.decodedAt[from];
    }
    this.xids = xids;
    this.lsns = lsns;
    this.seqs = seqs;
    this.decodedAt = decodedAt;
    this.head = 0;
  }
}
