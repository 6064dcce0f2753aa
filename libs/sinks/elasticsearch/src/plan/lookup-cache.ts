import type { Row } from '@distributary/core';

/**
 * Lookup rows (the `from:` relations) read by one batch, shared with the batches of every other
 * partition this sink runs in this process, so N partitions do not each re-read the same categories.
 *
 * Why this stays exact. Each entry remembers `floor`: an LSN such that every event at or below it had
 * committed before the snapshot that read the entry began (the highest LSN this sink had received
 * from the log at that moment; an event is in the log only after its transaction committed, and the
 * snapshot is begun by pg-snapshot's beginVisibleSnapshot, which waits for commits that are durable —
 * so possibly logged — but not yet visible, e.g. waiting for a synchronous standby). An entry
 * is used only for a batch whose highest version V is <= floor. Such a document, written at version V
 * with the cached lookup state, reflects every change of that lookup row up to floor >= V, exactly
 * as a fresh read would; any later change of the row has an LSN > floor >= V, and its event re-indexes
 * every root referencing the row at that higher version, overwriting this write (external_gte). So a
 * cached read is never staler than "as of floor", and floor is never below the version written with
 * it — the same guarantee a batch's own REPEATABLE READ snapshot gives. Rows are cached as read, absent
 * rows too (an insert later is an event with a higher LSN, like any change).
 *
 * Memory is bounded: at most `maxEntries` join keys over all relations, least recently used dropped.
 */
interface Entry {
  rows: Row[];
  floor: number;
}

export class LookupCache {
  private readonly entries = new Map<string, Entry>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries = 50_000) {}

  /** The cached rows for a relation's join key, if read with a floor at or above `version`. */
  get(relation: string, key: string, version: number): Row[] | undefined {
    const id = `${relation}\u0000${key}`;
    const entry = this.entries.get(id);
    if (!entry || entry.floor < version) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(id); // most recently used last
    this.entries.set(id, entry);
    return entry.rows;
  }

  put(relation: string, key: string, rows: Row[], floor: number): void {
    const id = `${relation}\u0000${key}`;
    const existing = this.entries.get(id);
    if (existing && existing.floor > floor) return;
    this.entries.delete(id);
    this.entries.set(id, { rows, floor });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * Tracks an LSN at or below which every change has committed: the highest version received from the
 * log, raised by `source` (the newest commit the log holds a transaction marker for, log-floor.ts),
 * asked at most every `everyMs` and never waited for: a value read earlier is still a valid floor.
 */
export class CommittedFloor {
  private highest = 0;
  private askedAt = 0;

  constructor(
    private readonly source?: () => Promise<number | undefined>,
    private readonly everyMs = 200,
  ) {}

  observe(version: number): void {
    if (version > this.highest) this.highest = version;
  }

  /** Asks the source for a higher floor (in the background; a failure keeps the floor as it is). */
  refresh(): void {
    if (!this.source || Date.now() - this.askedAt < this.everyMs) return;
    this.askedAt = Date.now();
    this.source().then(
      (version) => version !== undefined && this.observe(version),
      () => undefined,
    );
  }

  get value(): number {
    return this.highest;
  }
}
