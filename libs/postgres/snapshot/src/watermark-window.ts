import { canonicalKey, lsnJustBefore, type ChangeEvent, type Lsn, type Row } from '@distributary/core';
import { decodeWatermark, type WatermarkMessage } from '@distributary/pg-protocol';
import { RecentCommits } from './recent-commits';
import type { SnapshotVisibility } from './snapshot-visibility';

/** How a chunk's window closed: its rows to append at `lsn`, or `retry` when the chunk must be read again. */
export interface ChunkClosed {
  lsn: Lsn;
  events: ChangeEvent[];
  /** Rows dropped because the log holds a newer value for their key (-1: the chunk was abandoned). */
  dropped: number;
  /**
   * The read's snapshot missed a transaction logged before the low watermark whose changes were not
   * recorded (decoded before the table was watched): nothing was appended, read the chunk again.
   */
  retry?: boolean;
}

interface PendingChunk {
  snapshot: string;
  chunk: number;
  attempt: string;
  table: string;
  opened: boolean;
  /** The low watermark's position, once seen. */
  low?: Lsn;
  changed: Set<string>;
  truncated: boolean;
  rows?: { key: Row; row: Row }[];
  /** The snapshot the rows were read in. */
  visibility?: SnapshotVisibility;
  closed?: (result: ChunkClosed) => void;
}

/**
 * The watermark rule (Netflix DBLog, Debezium incremental snapshots), for one chunk at a time:
 * a low watermark is written to the WAL, the chunk is read, a high watermark is written. While the
 * stream is between the two watermarks, every key of the chunk's table that changes is remembered;
 * at the high watermark those keys are dropped from the chunk (the stream already carries a newer
 * value for them) and the rest are appended AT the high watermark's position. A chunk row therefore
 * never overwrites a newer streamed change, and no change is ever lost. This needs the chunk's read
 * to see every transaction committed before the low watermark, which a plain new snapshot does not
 * (a commit waiting for a synchronous standby is decoded before it is visible): the runner reads it
 * with inVisibleSnapshot (visible-snapshot.ts), and even that can read a snapshot that misses a
 * transaction whose commit is already logged (its backend not yet out of the proc array, not waiting
 * on anything visible): the runner hands over the read's snapshot (pg_current_snapshot()) with the
 * rows, and at the high watermark the keys of every transaction logged before the low watermark that
 * this snapshot did not see are dropped as well (recent-commits.ts).
 */
export class WatermarkWindow {
  private pending: PendingChunk | null = null;
  private readonly recent = new RecentCommits();

  /** A snapshot of `table` starts: remember the keys each transaction changes in it, until unwatch(). */
  watch(table: string): void {
    this.recent.watch(table);
  }

  unwatch(table: string): void {
    this.recent.unwatch(table);
  }

  /**
   * The snapshot runner announces the chunk before writing its low watermark. `attempt` is unique to
   * this read: only marks carrying it open and close the window. After a kill -9 the resumed runner
   * reads the same (snapshot, chunk) again while the replayed WAL still holds the killed read's marks;
   * matched, they would close the new read at the OLD high watermark, where the log may already hold
   * entries (the killed session appended ahead of its confirmations) and the chunk's rows would be
   * refused as duplicates — a chunk lost.
   */
  expect(snapshot: string, chunk: number, table: string, attempt: string): Promise<ChunkClosed> {
    return new Promise((resolve) => {
      this.pending = {
        snapshot,
        chunk,
        attempt,
        table,
        opened: false,
        changed: new Set(),
        truncated: false,
        closed: resolve,
      };
    });
  }

  /** The snapshot runner hands over the rows it read between the watermarks, and the snapshot it read them in. */
  setRows(snapshot: string, chunk: number, rows: { key: Row; row: Row }[], visibility?: SnapshotVisibility): void {
    if (this.pending && this.pending.snapshot === snapshot && this.pending.chunk === chunk) {
      this.pending.rows = rows;
      this.pending.visibility = visibility;
    }
  }

  /** Abandon the announced chunk (the runner failed or was cancelled). */
  abandon(snapshot: string): void {
    if (this.pending?.snapshot === snapshot) this.pending = null;
  }

  /** Every streamed data event, in stream order. */
  observe(event: ChangeEvent): void {
    this.recent.observe(event);
    const pending = this.pending;
    if (!pending?.opened || event.table !== pending.table) return;
    if (event.op === 't') pending.truncated = true;
    else pending.changed.add(canonicalKey(event.table, event.key));
  }

  /** A logical message's content from the stream; returns the chunk rows to append at this position, if any. */
  onMessage(content: string, lsn: Lsn): ChangeEvent[] {
    const mark = decodeWatermark(content);
    return mark ? this.onWatermark(mark, lsn) : [];
  }

  /** A watermark from the stream; returns the chunk rows to append at this position, if any. */
  onWatermark(mark: WatermarkMessage, lsn: Lsn): ChangeEvent[] {
    const pending = this.pending;
    if (!pending || mark.snapshot !== pending.snapshot || mark.chunk !== pending.chunk) return [];
    if (mark.attempt !== pending.attempt) return []; // another read of this chunk (a killed session's)
    if (mark.mark === 'low') {
      pending.opened = true;
      pending.low = lsn;
      return [];
    }
    if (!pending.opened || !pending.rows) {
      // Cannot happen when the runner follows the protocol; dropping the chunk is safe (it is re-read).
      this.pending = null;
      pending.closed?.({ lsn, events: [], dropped: -1 });
      return [];
    }
    const missed =
      pending.visibility && pending.low !== undefined
        ? this.recent.missedBy(pending.visibility, pending.table, pending.low)
        : undefined;
    if (missed && missed.unknown > 0) {
      this.pending = null;
      pending.closed?.({ lsn, events: [], dropped: 0, retry: true });
      return [];
    }
    const survivors =
      pending.truncated || missed?.all
        ? []
        : pending.rows.filter(({ key }) => {
            const canonical = canonicalKey(pending.table, key);
            return !pending.changed.has(canonical) && !missed?.keys.has(canonical);
          });
    // Just below the high mark's (end) LSN: a transaction whose commit record follows the message
    // commits AT it, and its events must not share the chunk rows' IDs (see lsnJustBefore).
    const rowsLsn = lsnJustBefore(lsn);
    const events: ChangeEvent[] = survivors.map(({ key, row }, seq) => ({
      pos: { lsn: rowsLsn, seq },
      op: 'r',
      table: pending.table,
      key,
      after: row,
      snapshot: pending.snapshot,
    }));
    this.pending = null;
    pending.closed?.({ lsn, events, dropped: pending.rows.length - survivors.length });
    return events;
  }
}
