import type { Row, RowKey } from './types';

/** The identity of a row in the copy: its key as canonical JSON (the gateway sends key columns in order). */
export function keyString(key: RowKey): string {
  return JSON.stringify(key);
}

/**
 * The client's materialized copy, keyed by primary key. A fresh initial state is collected aside
 * and replaces the copy only at `ready`, so a stream cut before `ready` leaves the copy as it was.
 */
export class RowCopy<R extends Row> {
  private current = new Map<string, R>();
  private incoming: Map<string, R> | undefined;

  get rows(): ReadonlyMap<string, R> {
    return this.current;
  }

  /** True while an initial state is being collected (until `ready`). */
  get collecting(): boolean {
    return this.incoming !== undefined;
  }

  beginInitialState(): void {
    this.incoming = new Map();
  }

  /** Drops a partial initial state (its stream was cut before `ready`). */
  abandonInitialState(): void {
    this.incoming = undefined;
  }

  /** `ready` of an initial state: it becomes the copy. */
  completeInitialState(): void {
    if (!this.incoming) return;
    this.current = this.incoming;
    this.incoming = undefined;
  }

  clear(): void {
    this.current = new Map();
  }

  put(key: RowKey, row: R): void {
    (this.incoming ?? this.current).set(keyString(key), row);
  }

  remove(key: RowKey): void {
    (this.incoming ?? this.current).delete(keyString(key));
  }
}
