/**
 * Applies a subscription stream's events to the client's copy: initial rows, changes grouped by
 * transaction, `ready` and `reset`; tells the application through its callbacks.
 */
import type { EventSourceMessage } from 'eventsource-parser';
import { RowCopy } from './row-copy';
import { safeCall } from './safe-call';
import type { Change, ChangeKind, Row, RowKey } from './types';

/** The application's callbacks of the changes (SubscribeOptions). */
export interface ChangeCallbacks<R extends Row> {
  onChange?: (change: Change<R>, rows: ReadonlyMap<string, R>) => void;
  onTransaction?: (changes: Change<R>[], rows: ReadonlyMap<string, R>) => void;
}

/** What the subscription does at `ready` (the copy is complete) and `reset` (a fresh initial state follows). */
export interface FeedHooks<R extends Row> {
  ready(rows: ReadonlyMap<string, R>): void;
  reset(): void;
}

export class ChangeFeed<R extends Row> {
  readonly copy = new RowCopy<R>();
  /** Changes of the transaction being received (applied when its last change, with the id, arrives). */
  private readonly transaction: Change<R>[] = [];
  /** The position the copy is at (what a reconnect sends as Last-Event-ID). */
  lastId: string | undefined;

  constructor(
    private readonly callbacks: ChangeCallbacks<R>,
    private readonly hooks: FeedHooks<R>,
  ) {}

  /** A connection starts: without a position, a fresh initial state is collected aside. */
  connecting(): void {
    if (this.lastId === undefined) this.copy.beginInitialState();
  }

  /** The connection ended: a partial initial state or transaction is dropped (the next one sends it again). */
  disconnected(): void {
    this.copy.abandonInitialState();
    this.transaction.length = 0;
  }

  handle(message: EventSourceMessage): void {
    const event = message.event ?? 'message';
    if (event === 'insert' || event === 'update' || event === 'delete') return this.change(event, message);
    if (event === 'ready') {
      this.transaction.length = 0;
      this.copy.completeInitialState();
      if (message.id) this.lastId = message.id;
      this.hooks.ready(this.copy.rows);
    } else if (event === 'reset') {
      this.transaction.length = 0;
      this.copy.clear();
      this.copy.beginInitialState();
      this.lastId = undefined;
      this.hooks.reset();
    }
    // Other events (future additions) are ignored.
  }

  /**
   * Initial rows (no `lsn`) go straight into the copy being collected. Changes (with `lsn`) of one
   * transaction arrive back to back and only the last carries the `id`: they are held until then
   * and applied together, so the copy never shows half a transaction (a stream cut in between
   * drops them; the resume sends the whole transaction again).
   */
  private change(kind: ChangeKind, message: EventSourceMessage): void {
    const data = JSON.parse(message.data) as { key: RowKey; row?: R; lsn?: string };
    if (data.lsn === undefined) {
      this.apply(kind, data.key, data.row);
      return;
    }
    const change: Change<R> = { kind, key: data.key, id: message.id ?? '', lsn: data.lsn };
    if (data.row !== undefined) change.row = data.row;
    this.transaction.push(change);
    if (!message.id) return;
    const changes = this.transaction.splice(0);
    for (const c of changes) {
      c.id = message.id;
      this.apply(c.kind, c.key, c.row);
    }
    // Folded into an initial state being collected: delivered with onReady.
    if (this.copy.collecting) return;
    this.lastId = message.id;
    safeCall(this.callbacks.onTransaction, changes, this.copy.rows);
    for (const c of changes) safeCall(this.callbacks.onChange, c, this.copy.rows);
  }

  private apply(kind: ChangeKind, key: RowKey, row: R | undefined): void {
    if (kind === 'delete') this.copy.remove(key);
    else this.copy.put(key, row as R);
  }
}
