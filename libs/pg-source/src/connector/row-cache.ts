import { canonicalKey, type ChangeEvent, type Row } from '@distributary/core';

/**
 * The after-rows of recently logged events, per (table, key), bounded (least recently used first out).
 * The first place unchanged TOAST values are filled from: it holds the latest logged version of a row.
 */
export class RowCache {
  private readonly rows = new Map<string, Row>();

  constructor(private readonly capacity: number) {}

  get(table: string, key: Row): Row | undefined {
    const id = canonicalKey(table, key);
    const row = this.rows.get(id);
    if (row) {
      this.rows.delete(id);
      this.rows.set(id, row);
    }
    return row;
  }

  remember(event: ChangeEvent): void {
    if (this.capacity === 0) return;
    if (event.op === 't') {
      const prefix = `${event.table}:`;
      for (const id of this.rows.keys()) if (id.startsWith(prefix)) this.rows.delete(id);
      return;
    }
    const id = canonicalKey(event.table, event.key);
    this.rows.delete(id);
    if (event.op === 'd' || !event.after) return;
    this.rows.set(id, event.after);
    if (this.rows.size > this.capacity) this.rows.delete(this.rows.keys().next().value as string);
  }

  clear(): void {
    this.rows.clear();
  }

  get size(): number {
    return this.rows.size;
  }
}
