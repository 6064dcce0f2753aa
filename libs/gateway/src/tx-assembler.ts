/**
 * Reassembles source transactions from the partitions the log tail reads independently. A
 * transaction's entries share their commit LSN (the entry ID is `<commitLsn>-<seq>`) and are
 * contiguous in each partition; its commit marker on the transactions stream counts its events
 * across all partitions. Entries wait in one FIFO per partition; a transaction is released (handed
 * on as one group) when its entries are at the heads of the FIFOs and it is known to be complete.
 * Per-partition order is kept, so the released vector (the last released entry of each partition)
 * always means "everything at or before it was handed on".
 *
 * COMPLETE means one of:
 * - its commit marker's count is reached (the usual case);
 * - every partition has read an entry with a higher commit LSN (a partition's IDs increase, so
 *   nothing of this transaction can follow there);
 * - the completion probe says so: the connector's slot has confirmed the LSN (the connector
 *   confirms only what is durably in the log) and the tail has read every partition up to the
 *   log's end as read after that (lsn-watch.ts). The probe is asked once the transaction has waited
 *   TX_WAIT_MS for its marker, or at once when the marker stream has passed its LSN without one
 *   (a log written without markers).
 * So a late marker (a transaction appended in several batches more than TX_WAIT_MS apart) or a
 * missing one never splits a transaction. Entries without an xid (snapshot rows) go alone. Two
 * bounds keep memory and liveness: a transaction with MAX_TX_ENTRIES entries waiting goes in
 * chunks (each chunk id-delimited, all with the same commit LSN), and a transaction the probe
 * cannot settle within TX_GIVE_UP_MS (no slot to ask) goes as it is — only then is grouping partial.
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

/** Resolves once the tail has read every log entry of every transaction committed at or before `lsn`. */
export type CompletionProbe = (lsn: bigint) => Promise<void>;

export const TX_WAIT_MS = 1000;
export const TX_GIVE_UP_MS = 30_000;
export const MAX_TX_ENTRIES = 50_000;
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
  /** Commit LSN of the last entry read per partition. */
  private readonly readLsn: bigint[];
  /** Every transaction at or below this LSN has been read entirely (the probe said so). */
  private allRead = -1n;
  /** The LSN the probe in flight was asked about. */
  private probing: bigint | undefined;
  private stopped = false;

  constructor(
    start: PositionVector,
    private readonly onGroup: GroupHandler,
    private readonly probe?: CompletionProbe,
    private readonly limits: { waitMs: number; giveUpMs: number; maxEntries: number } = {
      waitMs: TX_WAIT_MS,
      giveUpMs: TX_GIVE_UP_MS,
      maxEntries: MAX_TX_ENTRIES,
    },
  ) {
    this.fifos = start.map(() => []);
    this.heads = start.map(() => 0);
    this.released = [...start];
    this.readLsn = start.map((id) => idLsn(id));
  }

  /** The released vector (a copy). */
  vector(): PositionVector {
    return [...this.released];
  }

  entry(partition: number, entry: LogEntry): void {
    const lsn = idLsn(entry.id);
    this.fifos[partition].push({ entry, at: Date.now(), lsn });
    this.readLsn[partition] = lsn;
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
    this.stopped = true;
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
    let nextWake = Infinity;
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
        const waited = now - head.at;
        const complete =
          (expected !== undefined && total >= expected) ||
          lsn <= this.allRead ||
          this.readLsn.every((read) => read > lsn) ||
          total >= this.limits.maxEntries ||
          waited >= this.limits.giveUpMs;
        if (!complete && (waited >= this.limits.waitMs || (expected === undefined && this.markersThrough > lsn)))
          this.ask(lsn);
        if (complete) {
          if (expected !== undefined) {
            if (total >= expected) this.markers.delete(lsn);
            else this.markers.set(lsn, expected - total);
          }
          this.emit(runs);
          progress = true;
        } else
          nextWake = Math.min(
            nextWake,
            head.at + (waited < this.limits.waitMs ? this.limits.waitMs : this.limits.giveUpMs),
          );
      }
    }
    this.compact();
    if (this.timer === undefined && nextWake !== Infinity) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.release();
        },
        Math.max(1, nextWake - now),
      );
    }
  }

  /** Asks the completion probe about `lsn` (one question at a time; a later LSN covers earlier ones). */
  private ask(lsn: bigint): void {
    if (!this.probe || this.stopped || (this.probing !== undefined && this.probing >= lsn)) return;
    if (this.probing !== undefined) return;
    this.probing = lsn;
    this.probe(lsn).then(
      () => {
        this.probing = undefined;
        if (this.stopped) return;
        if (lsn > this.allRead) this.allRead = lsn;
        this.release();
      },
      () => {
        this.probing = undefined;
        // Asked again on the next entry, marker or timer.
      },
    );
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
