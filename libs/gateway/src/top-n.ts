/**
 * The window of a top-N subscription (`order` and/or `limit`): every matching row (the whole
 * filtered set, kept sorted), and which of them the client was shown — the first N.
 *
 * WHY THIS IS EXACT. The whole filtered set is kept up exactly like a plain subscriber's key set
 * (the initial read joined with the log at a snapshot, then every change of the table applied in
 * per-key order: subscriber.ts). At every transaction boundary it is therefore the source's
 * filtered rows at that id, and the client's rows — its first N in the comparator's order
 * (row-order.ts, PostgreSQL's ORDER BY for the orderable types, ties by the primary key) — are
 * `SELECT … WHERE filter ORDER BY … LIMIT N` at that id. A row that leaves the top N is backfilled
 * from this set: the next row is already here, at the same position, so no further read of the
 * source (which could only be at a later snapshot) is needed. The cost is memory: the matching
 * rows of the table, not N (bounded by MAX_WINDOW_ROWS, beyond which the stream closes with
 * `overflow`).
 */
import type { Row } from '@distributary/core';
import type { KeyedRow } from './initial-state';
import type { RowComparator } from './row-order';

/** Matching rows one top-N subscriber may keep. */
export const MAX_WINDOW_ROWS = 200_000;

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
  /** Every matching row, in order. */
  private sorted: Entry[] = [];
  /** Canonical keys the client holds (the first N at the last boundary) → key columns. */
  private readonly shown = new Map<string, Row>();

  constructor(
    private readonly compare: RowComparator,
    readonly limit: number,
    /** Called when a key enters or leaves the set (the fan-out routes that key's changes here). */
    private readonly held: (key: string, held: boolean) => void,
  ) {}

  get size(): number {
    return this.rows.size;
  }

  /** The first N rows to send as the initial state (they become the client's rows). */
  initial(): KeyedRow[] {
    this.shown.clear();
    const top = this.sorted.slice(0, this.limit);
    for (const entry of top) this.shown.set(entry.canonical, entry.key);
    return top;
  }

  set(canonical: string, value: KeyedRow): void {
    this.delete(canonical);
    const entry: Entry = { ...value, canonical };
    this.rows.set(canonical, entry);
    this.sorted.splice(this.position(entry), 0, entry);
    this.held(canonical, true);
  }

  delete(canonical: string): void {
    const entry = this.rows.get(canonical);
    if (!entry) return;
    this.rows.delete(canonical);
    const at = this.position(entry);
    if (this.sorted[at] !== entry) throw new Error('top-N window out of order');
    this.sorted.splice(at, 1);
    this.held(canonical, false);
  }

  /** Forgets everything (close, fresh start). */
  clear(): void {
    for (const canonical of this.rows.keys()) this.held(canonical, false);
    this.rows.clear();
    this.sorted = [];
    this.shown.clear();
  }

  /**
   * After a transaction: what turns the client's rows into the new first N. Rows pushed out or gone
   * → delete; rows now in (entered, moved up, or backfilled) → insert; `touched` rows that stay → update.
   */
  diff(touched: ReadonlySet<string>): WindowChange[] {
    const top = this.sorted.slice(0, this.limit);
    const next = new Set(top.map((e) => e.canonical));
    const changes: WindowChange[] = [];
    for (const [canonical, key] of this.shown) {
      if (next.has(canonical)) continue;
      changes.push({ event: 'delete', key });
      this.shown.delete(canonical);
    }
    for (const entry of top) {
      if (!this.shown.has(entry.canonical)) {
        changes.push({ event: 'insert', key: entry.key, row: entry.row });
        this.shown.set(entry.canonical, entry.key);
      } else if (touched.has(entry.canonical)) changes.push({ event: 'update', key: entry.key, row: entry.row });
    }
    return changes;
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
