/**
 * Reassembles source transactions from the partitions the log tail reads independently. A
 * transaction's entries share their commit LSN (the entry ID is `<commitLsn>-<seq>`) and are
 * contiguous in each partition; its commit marker on the transactions stream counts its events
 * across all partitions. Entries wait in one FIFO per partition; a transaction is released (handed
 * on as one group) when its entries are at the heads of the FIFOs and their number reaches the
 * marker's count. Per-partition order is kept, so the released vector (the last released entry of
 * each partition) always means "everything at or before it was handed on".
 *
 * Liveness: an entry without an xid (snapshot rows) goes alone; a transaction whose marker cannot
 * come any more (the marker stream has passed its LSN without one) goes with what is there; and
 * whatever has waited TX_WAIT_MS goes as it is (a transaction larger than one append, a log
 * written without markers) — grouping is then partial, never order or completeness.
 */
import type { LogEntry } from '@distributary/changelog';
import type { PositionVector } from './positions';

export interface GroupItem {
  partition: number;
  entry: LogEntry;
}

/** One source transaction's entries (or a lone entry), with the released vector right after it. */
export interface TxGroup {
  items: GroupItem[];
  vector: readonly string[];
}

export type GroupHandler = (group: TxGroup) => void;

export const TX_WAIT_MS = 1000;
const MAX_MARKERS = 100_000;

interface Pending {
  entry: LogEntry;
  at: number;
  /** idLsn(entry.id), computed once. */
  lsn: bigint;
}

/** The commit LSN part of an entry ID, as a decimal string (comparison by BigInt). */
export function idLsn(id: string): bigint {
  return BigInt(id.slice(0, id.indexOf('-')));
}

export class TxAssembler {
  private readonly fifos: Pending[][];
  private readonly heads: number[];
  private released: string[];
  /** Commit LSN → events still expected (count minus what was already released). */
  private readonly markers = new Map<bigint, number>();
  /** The highest commit LSN read from the marker stream. */
  private markersThrough = -1n;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    start: PositionVector,
    private readonly onGroup: GroupHandler,
  ) {
    this.fifos = start.map(() => []);
    this.heads = start.map(() => 0);
    this.released = [...start];
  }

  /** The released vector (a copy). */
  vector(): PositionVector {
    return [...this.released];
  }

  entry(partition: number, entry: LogEntry): void {
    this.fifos[partition].push({ entry, at: Date.now(), lsn: idLsn(entry.id) });
    this.release();
  }

  marker(commitLsn: bigint, events: number): void {
    if (commitLsn > this.markersThrough) this.markersThrough = commitLsn;
    this.markers.set(commitLsn, events);
    if (this.markers.size > MAX_MARKERS) this.markers.delete(this.markers.keys().next().value as bigint);
    this.release();
  }

  /** Marker stream read up to here with nothing new (lets transactions without a marker go). */
  markersAt(commitLsn: bigint): void {
    if (commitLsn <= this.markersThrough) return;
    this.markersThrough = commitLsn;
    this.release();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private head(partition: number): Pending | undefined {
    return this.fifos[partition][this.heads[partition]];
  }

  /** Entries with commit LSN `lsn` at the head of a partition. */
  private run(partition: number, lsn: bigint): number {
    const fifo = this.fifos[partition];
    let n = 0;
    while (this.heads[partition] + n < fifo.length && fifo[this.heads[partition] + n].lsn === lsn) n++;
    return n;
  }

  private release(): void {
    const now = Date.now();
    let oldestWaiting = Infinity;
    let progress = true;
    while (progress) {
      progress = false;
      for (let p = 0; p < this.fifos.length; p++) {
        const head = this.head(p);
        if (!head) continue;
        const lsn = head.lsn;
        if (head.entry.event.xid === undefined) {
          this.emit([[p, 1]]);
          progress = true;
          continue;
        }
        const runs: [number, number][] = [];
        let total = 0;
        for (let q = 0; q < this.fifos.length; q++) {
          const n = this.run(q, lsn);
          if (n > 0) runs.push([q, n]);
          total += n;
        }
        const expected = this.markers.get(lsn);
        const complete =
          expected !== undefined ? total >= expected : this.markersThrough > lsn || now - head.at >= TX_WAIT_MS;
        if (complete || now - head.at >= TX_WAIT_MS) {
          if (expected !== undefined) {
            if (total >= expected) this.markers.delete(lsn);
            else this.markers.set(lsn, expected - total);
          }
          this.emit(runs);
          progress = true;
        } else oldestWaiting = Math.min(oldestWaiting, head.at);
      }
    }
    this.compact();
    if (this.timer === undefined && oldestWaiting !== Infinity) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.release();
        },
        Math.max(1, oldestWaiting + TX_WAIT_MS - now),
      );
    }
  }

  private emit(runs: [number, number][]): void {
    const items: GroupItem[] = [];
    for (const [p, n] of runs) {
      for (let i = 0; i < n; i++) items.push({ partition: p, entry: this.fifos[p][this.heads[p] + i].entry });
      this.heads[p] += n;
      this.released[p] = items[items.length - 1].entry.id;
    }
    this.onGroup({ items, vector: Object.freeze([...this.released]) });
  }

  private compact(): void {
    for (let p = 0; p < this.fifos.length; p++) {
      if (this.heads[p] === 0) continue;
      if (this.heads[p] >= this.fifos[p].length) {
        this.fifos[p] = [];
        this.heads[p] = 0;
      } else if (this.heads[p] >= 1024) {
        this.fifos[p] = this.fifos[p].slice(this.heads[p]);
        this.heads[p] = 0;
      }
    }
  }
}
