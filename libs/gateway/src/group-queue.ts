/**
 * The transaction groups waiting for one subscriber (while its initial state is read, a resume
 * catches up, or its client has not taken what was written), with the counts that bound them.
 */
import type { TxGroup } from './tx-assembler';

/**
 * Entries a subscriber that is not live may have waiting. They are shared with every other
 * subscriber (references, not copies), so the bound is a count; the bytes a client has not read
 * are bounded by the stream (gateway.maxBufferBytes).
 */
export const MAX_QUEUED_ENTRIES = 100_000;

/** A FIFO of groups with their entry count and log bytes. */
export class GroupQueue {
  private groups: TxGroup[] = [];
  /** Index of the next group to take (a shift would make draining quadratic). */
  private head = 0;
  private bytes = 0;
  private entries = 0;

  /** Groups waiting. */
  get size(): number {
    return this.groups.length - this.head;
  }

  push(group: TxGroup): void {
    this.groups.push(group);
    this.entries += group.items.length;
    for (const item of group.items) this.bytes += item.entry.size;
  }

  /**
   * Slow clients: a live subscriber waits for its socket to take what was written (never the
   * fan-out); entries that pile up meanwhile beyond `maxBufferBytes` mean the client cannot keep
   * up. A subscriber that is not live is bounded by a count instead (its initial state is being
   * read while the log moves on).
   */
  behind(live: boolean, maxBufferBytes: number): boolean {
    return live ? this.bytes > maxBufferBytes : this.entries > MAX_QUEUED_ENTRIES;
  }

  /** The oldest group; only when size > 0. */
  take(): TxGroup {
    const group = this.groups[this.head++];
    this.entries -= group.items.length;
    for (const item of group.items) this.bytes -= item.entry.size;
    if (this.head >= 1024 && this.head * 2 >= this.groups.length) {
      this.groups = this.groups.slice(this.head);
      this.head = 0;
    }
    return group;
  }

  /** Forgets every group and its counts. */
  drop(): void {
    this.groups = [];
    this.head = 0;
    this.bytes = 0;
    this.entries = 0;
  }
}
