/** What an application passes to subscribe() and what it gets back (docs/gateway.md). */
import type { BackoffOptions } from './backoff';
import type { SubscriptionError } from './errors';
import type { Change, Row, SubscriptionParams, SubscriptionStatus } from './types';

export interface SubscribeOptions<R extends Row = Row, P extends SubscriptionParams = SubscriptionParams> {
  /** The subscription's parameter values (query string); the token must grant exactly these. */
  params?: P;
  /** A token minted by the application's backend. Without getToken it cannot be renewed. */
  token?: string;
  /** Mints a token (asks the application's backend); called first and whenever the token expires. */
  getToken?: () => string | Promise<string>;
  /** Read your writes: `?after=<lsn>`, `ready` waits until the gateway has passed this commit. */
  after?: string;
  /** A live change; `rows` has its whole transaction applied already. */
  onChange?: (change: Change<R>, rows: ReadonlyMap<string, R>) => void;
  /** The changes of one source transaction that touch this subscription, applied to `rows` already. */
  onTransaction?: (changes: Change<R>[], rows: ReadonlyMap<string, R>) => void;
  /** The copy is complete: after an initial state, and whenever a resume has caught up. */
  onReady?: (rows: ReadonlyMap<string, R>) => void;
  /** The gateway could not resume: the copy was dropped, a fresh initial state follows. */
  onReset?: () => void;
  /** Every error; `error.fatal` says the subscription gave up (status `failed`). */
  onError?: (error: SubscriptionError) => void;
  onStatus?: (status: SubscriptionStatus) => void;
  backoff?: BackoffOptions;
  /** Reconnect when nothing, not even a heartbeat, arrived for this long (default 45 s = 3 heartbeats). */
  idleTimeoutMs?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

export interface Subscription<R extends Row = Row> {
  /** The copy, keyed by the row's key as JSON (see keyString()). */
  rows(): ReadonlyMap<string, R>;
  readonly status: SubscriptionStatus;
  /** The position the copy is at (what a reconnect sends as Last-Event-ID). */
  readonly lastEventId: string | undefined;
  /** Resolves at the first `ready`; rejects when the subscription fails before it. */
  whenReady(): Promise<ReadonlyMap<string, R>>;
  close(): void;
}
