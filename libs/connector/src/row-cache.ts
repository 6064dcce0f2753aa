import { canonicalKey, type ChangeEvent, type Row } from '@distributary/core';

/**
 * The after-rows of the last `capacity` logged events, per (table, key): the first place unchanged
 * TOAST values are filled from (it holds the latest logged version of a row; a miss falls back to the
 * partition stream, which holds every logged version).
 *
 * Cheap to write, because nearly every event is remembered and very few are ever looked up: remember()
 * only stores the canonical key and the row into a ring (two array writes, no hashing, no Map). The
 * index (canonical key → ring slot of its newest entry) is brought up to date when a lookup comes, from
 * the entries written since the previous lookup — each entry is indexed at most once, so a workload
 * where every event needs a fill costs what an eagerly maintained Map would, and one without fills
 * costs nothing more. A delete is an entry without a row (a lookup misses), a truncate forgets every
 * indexed key of its table. Capacity counts events: a key updated again takes a new slot, and its
 * older slots are dead weight until overwritten.
 */
export class RowCache {
  /** Canonical key per slot ('' for a truncate of `truncated[slot]`). Grown as written, up to capacity. */
  private readonly keys: string[] = [];
  private readonly rows: (Row | undefined)[] = [];
  private readonly truncated: (string | undefined)[] = [];
  /** The key the index maps to each slot, if any (to drop it when the slot is overwritten). */
  private readonly indexedKey: (string | undefined)[] = [];
  private readonly index = new Map<string, number>();
  /** Entries written so far, and how many of them the index has seen. */
  private written = 0;
  private indexed = 0;

  constructor(private readonly capacity: number) {}

  get(table: string, key: Row): Row | undefined {
    return this.getByKey(canonicalKey(table, key));
  }

  /** By canonical key (canonicalKey(table, key)), when the caller already has it. */
  getByKey(id: string): Row | undefined {
    if (this.capacity === 0) return undefined;
    this.catchUp();
    const slot = this.index.get(id);
    return slot === undefined ? undefined : this.rows[slot];
  }

  /** Records the event's after-row as the latest version of its key (a delete forgets the key). */
  remember(event: ChangeEvent, id?: string): void {
    if (this.capacity === 0) return;
    const slot = this.written % this.capacity;
    if (event.op === 't') {
      this.keys[slot] = '';
      this.rows[slot] = undefined;
      this.truncated[slot] = event.table;
    } else {
      this.keys[slot] = id ?? canonicalKey(event.table, event.key);
      this.rows[slot] = event.op === 'd' ? undefined : event.after;
      this.truncated[slot] = undefined;
    }
    this.written++;
  }

  clear(): void {
    this.keys.length = 0;
    this.rows.length = 0;
    this.truncated.length = 0;
    this.indexedKey.length = 0;
    this.index.clear();
    this.written = 0;
    this.indexed = 0;
  }

  /** Keys whose newest entry holds a row. */
  get size(): number {
    this.catchUp();
    let rows = 0;
    for (const slot of this.index.values()) if (this.rows[slot] !== undefined) rows++;
    return rows;
  }

  /** Indexes the entries written since the last lookup (only the newest `capacity` still exist). */
  private catchUp(): void {
    if (this.capacity === 0) return;
    for (let n = Math.max(this.indexed, this.written - this.capacity); n < this.written; n++) {
      const slot = n % this.capacity;
      const previous = this.indexedKey[slot];
      if (previous !== undefined && this.index.get(previous) === slot) this.index.delete(previous);
      this.indexedKey[slot] = undefined;
      const table = this.truncated[slot];
      if (table !== undefined) {
        const prefix = `${table}:`;
        for (const key of [...this.index.keys()]) if (key.startsWith(prefix)) this.index.delete(key);
        continue;
      }
      const key = this.keys[slot];
      this.index.set(key, slot);
      this.indexedKey[slot] = key;
    }
    this.indexed = this.written;
  }
}
