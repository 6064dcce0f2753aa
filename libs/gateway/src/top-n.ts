/**
 * The window of a top-N subscription (`order` and/or `limit`): a bounded prefix of the matching rows
 * in order — the first N + K (K a spare, `spareRows`) — and which of them the client was shown (the
 * first N).
 *
 * THE INVARIANT. At every transaction boundary the held rows are the first |held| matching rows of
 * the source in the comparator's order (row-order.ts: PostgreSQL's ORDER BY for the orderable types,
 * ties by the primary key), and `complete` says whether they are ALL the matching rows. Every change
 * of a key keeps it (the changes of the table are applied in per-key order, exactly like a plain
 * subscriber's key set: subscriber.ts):
 * - the key's old row leaves the held rows: what remains is still a prefix (the rows not held all
 *   sort after the last held row, which is not earlier than before);
 * - its new row, if it matches, is held when the set is complete (every row is held) or when it
 *   sorts before the last held row (it belongs to the prefix); otherwise it is not held — some row
 *   not held may sort before it, which this window cannot know — and the prefix stays a prefix;
 * - beyond N + K held rows the last ones are dropped (still a prefix, no longer complete).
 * So while |held| ≥ N or the set is complete, the client's rows — the first N — are
 * `SELECT … WHERE filter ORDER BY … LIMIT N` at that boundary. When departures leave fewer than N
 * held rows of an incomplete set (`starved`), the next rows are not here: the subscriber re-reads
 * the window from the source (a refill, subscriber.ts) and sends only the difference.
 *
 * Memory is the window (N + K rows, plus the N the client was shown), not the table. A window
 * without a limit (`order` alone) holds every matching row, bounded by MAX_WINDOW_ROWS.
 */
import type { Row } from '@distributary/core';
import type { KeyedRow } from './initial-state';
import type { RowComparator } from './row-order';

/** Matching rows a top-N subscriber without a `limit` (every row, ordered) may keep. */
export const MAX_WINDOW_ROWS = 200_000;

/** The spare K held beyond the N rows shown: departures from the top N are backfilled from it without a re-read. */
export function spareRows(limit: number): number {
  return Math.max(limit, 100);
}

/**
 * Top-N windows in this process: rows held now (all windows), the most one window ever held, and
 * refills done (re-reads of a starved window, subscriber.ts).
 */
export const topNStats = { heldRows: 0, peakWindowRows: 0, refills: 0 };

export interface WindowChange {
  event: 'insert' | 'update' | 'delete';
  key: Row;
  row?: Row;
}

interface Entry extends KeyedRow {
  canonical: string;
}

export class TopNWindow {
  private readonly rows = new Map<string, Entry>();
  /** The held rows, in order: the first `rows.size` matching rows. */
  private sorted: Entry[] = [];
  /** Canonical keys the client holds (the first N at the last boundary it was sent) → its row. */
  private readonly shown = new Map<string, KeyedRow>();
  /** Every matching row is held. */
  private complete = true;
  /** Rows held at most: N + K (Infinity without a limit). */
  readonly capacity: number;

  constructor(
    private readonly compare: RowComparator,
    readonly limit: number,
    spare: number,
    /** Called when a key enters or leaves the held rows (the fan-out routes that key's changes here). */
    private readonly held: (key: string, held: boolean) => void,
  ) {
    this.capacity = limit + Math.max(1, spare);
  }

  get size(): number {
    return this.rows.size;
  }

  /** Fewer than N rows held while more match in the source: the window must be re-read. */
  get starved(): boolean {
    return !this.complete && this.sorted.length < this.limit;
  }

  /** Replaces the held rows with a fresh read: the first rows in order, `complete` if they are all. The client's rows stay. */
  load(rows: Iterable<[string, KeyedRow]>, complete: boolean): void {
    this.dropHeld();
    const entries: Entry[] = [];
    for (const [canonical, value] of rows) entries.push({ ...value, canonical });
    entries.sort((a, b) => this.compare(a.row, b.row));
    this.sorted = entries;
    for (const entry of entries) {
      this.rows.set(entry.canonical, entry);
      this.held(entry.canonical, true);
    }
    topNStats.heldRows += entries.length;
    this.complete = complete;
    this.trim();
    if (this.rows.size > topNStats.peakWindowRows) topNStats.peakWindowRows = this.rows.size;
  }

  /** The first N rows to send as the initial state (they become the client's rows). */
  initial(): KeyedRow[] {
    this.shown.clear();
    const top = this.sorted.slice(0, this.limit);
    for (const entry of top) this.shown.set(entry.canonical, { key: entry.key, row: entry.row });
    return top;
  }

  /** One key's change: its new row when it matches, undefined when it no longer does (or is gone). */
  change(canonical: string, value: KeyedRow | undefined): void {
    this.remove(canonical);
    if (!value) return;
    const entry: Entry = { ...value, canonical };
    const last = this.sorted[this.sorted.length - 1];
    // Not complete: rows not held sort after the last held one, in an order unknown here.
    if (!this.complete && (last === undefined || this.compare(entry.row, last.row) > 0)) return;
    this.add(entry);
    this.trim();
    // Recorded after the trim: an added row displaces the last one within this call.
    if (this.rows.size > topNStats.peakWindowRows) topNStats.peakWindowRows = this.rows.size;
  }

  /** Forgets everything (close, fresh start). */
  clear(): void {
    this.dropHeld();
    this.complete = true;
    this.shown.clear();
  }

  /**
   * What turns the client's rows into the current first N. Rows pushed out or gone → delete; rows
   * now in (entered, moved up, or backfilled) → insert; rows that stay and `changed` says changed →
   * update. The client's rows become the first N.
   */
  diff(changed: (canonical: string, before: Row, after: Row) => boolean): WindowChange[] {
    const top = this.sorted.slice(0, this.limit);
    const next = new Set(top.map((e) => e.canonical));
    const changes: WindowChange[] = [];
    for (const [canonical, { key }] of this.shown) {
      if (next.has(canonical)) continue;
      changes.push({ event: 'delete', key });
      this.shown.delete(canonical);
    }
    for (const entry of top) {
      const before = this.shown.get(entry.canonical);
      if (!before) changes.push({ event: 'insert', key: entry.key, row: entry.row });
      else if (changed(entry.canonical, before.row, entry.row))
        changes.push({ event: 'update', key: entry.key, row: entry.row });
      this.shown.set(entry.canonical, { key: entry.key, row: entry.row });
    }
    return changes;
  }

  private add(entry: Entry): void {
    this.rows.set(entry.canonical, entry);
    this.sorted.splice(this.position(entry), 0, entry);
    this.held(entry.canonical, true);
    topNStats.heldRows++;
  }

  private remove(canonical: string): void {
    const entry = this.rows.get(canonical);
    if (!entry) return;
    this.rows.delete(canonical);
    const at = this.position(entry);
    if (this.sorted[at] !== entry) throw new Error('top-N window out of order');
    this.sorted.splice(at, 1);
    this.held(canonical, false);
    topNStats.heldRows--;
  }

  /** Drops the last held rows beyond the capacity: the rest is still a prefix, no longer all. */
  private trim(): void {
    while (this.sorted.length > this.capacity) {
      const entry = this.sorted.pop() as Entry;
      this.rows.delete(entry.canonical);
      this.held(entry.canonical, false);
      topNStats.heldRows--;
      this.complete = false;
    }
  }

  private dropHeld(): void {
    for (const canonical of this.rows.keys()) this.held(canonical, false);
    topNStats.heldRows -= this.rows.size;
    this.rows.clear();
    this.sorted = [];
  }

  /** Where an entry is or would go (binary search; the order is total: keys break ties). */
  private position(entry: Entry): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.sorted[mid].row, entry.row) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
