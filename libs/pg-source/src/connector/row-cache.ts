import { canonicalKey, type ChangeEvent, type Row } from '@distributary/core';

/**
 * The after-rows of recently logged events, per (table, key), bounded: least recently used first out.
 * The first place unchanged TOAST values are filled from: it holds the latest logged version of a row.
 * Constant time per get / remember: a Map from canonical key to a node of a doubly linked list in
 * recency order (head = least recent). Nodes of evicted rows are reused, so a steady stream of new
 * keys allocates nothing here.
 */
interface Node {
  id: string;
  row: Row;
  prev: Node | null;
  next: Node | null;
}

export class RowCache {
  private readonly rows = new Map<string, Node>();
  private head: Node | null = null;
  private tail: Node | null = null;

  constructor(private readonly capacity: number) {}

  get(table: string, key: Row): Row | undefined {
    return this.getByKey(canonicalKey(table, key));
  }

  /** By canonical key (canonicalKey(table, key)), when the caller already has it. */
  getByKey(id: string): Row | undefined {
    const node = this.rows.get(id);
    if (!node) return undefined;
    this.unlink(node);
    this.append(node);
    return node.row;
  }

  /** Records the event's after-row as the latest version of its key (a delete forgets the key). */
  remember(event: ChangeEvent, id?: string): void {
    if (this.capacity === 0) return;
    if (event.op === 't') {
      const prefix = `${event.table}:`;
      for (const node of [...this.rows.values()]) if (node.id.startsWith(prefix)) this.forget(node);
      return;
    }
    const key = id ?? canonicalKey(event.table, event.key);
    const existing = this.rows.get(key);
    if (event.op === 'd' || !event.after) {
      if (existing) this.forget(existing);
      return;
    }
    if (existing) {
      existing.row = event.after;
      this.unlink(existing);
      this.append(existing);
      return;
    }
    let node: Node;
    if (this.rows.size >= this.capacity && this.head) {
      node = this.head; // reuse the least recently used node
      this.forget(node);
      node.id = key;
      node.row = event.after;
    } else {
      node = { id: key, row: event.after, prev: null, next: null };
    }
    this.rows.set(key, node);
    this.append(node);
  }

  clear(): void {
    this.rows.clear();
    this.head = null;
    this.tail = null;
  }

  get size(): number {
    return this.rows.size;
  }

  private forget(node: Node): void {
    this.rows.delete(node.id);
    this.unlink(node);
  }

  private unlink(node: Node): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = null;
    node.next = null;
  }

  private append(node: Node): void {
    node.prev = this.tail;
    node.next = null;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
  }
}
