/**
 * subscribe(): one live subscription to a Distributary gateway (docs/gateway.md). It keeps a
 * materialized copy of the matching rows, reconnects with backoff, resumes from its last event id
 * (no gap, no duplicate), mints a new token through getToken() on `expired` (or a refused token),
 * and starts over on `reset`.
 */
import type { EventSourceMessage } from 'eventsource-parser';
import { backoffDelay, type BackoffOptions } from './backoff';
import { SubscriptionError } from './errors';
import { isOffline, watchConnectivity } from './network';
import { RowCopy } from './row-copy';
import { readSse } from './sse-request';
import type { Change, ChangeKind, Row, RowKey, SubscriptionParams, SubscriptionStatus } from './types';

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

type Next = 'now' | 'later' | 'stop';
const CLOSING_EVENTS = new Set(['expired', 'lagging', 'overflow', 'error']);

function report(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

class LiveSubscription<R extends Row> implements Subscription<R> {
  private readonly copy = new RowCopy<R>();
  /** Changes of the transaction being received (applied when its last change, with the id, arrives). */
  private readonly transaction: Change<R>[] = [];
  private lastId: string | undefined;
  private token: string | undefined;
  /** The token came from getToken for this attempt and was not accepted yet. */
  private tokenIsFresh = false;
  private state: SubscriptionStatus = 'connecting';
  private attempt = 0;
  private connection: AbortController | undefined;
  private wake: (() => void) | undefined;
  private readonly ready: Promise<ReadonlyMap<string, R>>;
  private settleReady!: { resolve: (rows: ReadonlyMap<string, R>) => void; reject: (error: Error) => void };
  private readonly unwatch: () => void;

  constructor(
    private readonly url: string,
    private readonly options: SubscribeOptions<R>,
  ) {
    if (!options.token && !options.getToken) throw new TypeError('subscribe() needs a token or getToken');
    this.token = options.token;
    this.streamUrl(); // a malformed URL throws here, not in every reconnect
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => undefined);
    this.unwatch = watchConnectivity((online) => {
      if (online) this.wakeUp();
      else this.connection?.abort(new SubscriptionError('the browser went offline', 0, false));
    });
    void this.run();
  }

  rows(): ReadonlyMap<string, R> {
    return this.copy.rows;
  }

  get status(): SubscriptionStatus {
    return this.state;
  }

  get lastEventId(): string | undefined {
    return this.lastId;
  }

  whenReady(): Promise<ReadonlyMap<string, R>> {
    return this.ready;
  }

  close(): void {
    if (this.finished) return;
    this.setStatus('closed');
    this.connection?.abort(new SubscriptionError('closed', 0, true));
    this.wakeUp();
    this.unwatch();
    this.settleReady.reject(new SubscriptionError('closed before ready', 0, true));
  }

  private get finished(): boolean {
    return this.state === 'closed' || this.state === 'failed';
  }

  private async run(): Promise<void> {
    while (!this.finished) {
      const next = await this.connect();
      if (next === 'stop' || this.finished) break;
      this.setStatus('reconnecting');
      if (next === 'later') await this.pause(backoffDelay(this.attempt++, this.options.backoff));
      while (!this.finished && isOffline()) await this.pause(Number.POSITIVE_INFINITY);
    }
  }

  private async connect(): Promise<Next> {
    let token: string;
    try {
      token = await this.currentToken();
    } catch (error) {
      this.emitError(new SubscriptionError(`getToken failed: ${(error as Error).message}`, 0, false));
      return 'later';
    }
    if (this.finished) return 'stop';
    if (this.lastId === undefined) this.copy.beginInitialState();
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (this.lastId !== undefined) headers['last-event-id'] = this.lastId;
    const controller = new AbortController();
    this.connection = controller;
    let closing: EventSourceMessage | undefined;
    try {
      await readSse({
        url: this.streamUrl(),
        headers,
        signal: controller.signal,
        fetch: this.options.fetch ?? globalThis.fetch.bind(globalThis),
        idleTimeoutMs: this.options.idleTimeoutMs ?? 45_000,
        onOpen: () => {
          this.tokenIsFresh = false;
          this.setStatus('syncing');
        },
        onEvent: (message) => {
          if (closing) return;
          if (CLOSING_EVENTS.has(message.event ?? '')) closing = message;
          else this.handle(message);
        },
      });
    } catch (error) {
      return this.connectionFailed(error);
    } finally {
      this.connection = undefined;
      this.copy.abandonInitialState();
      this.transaction.length = 0;
    }
    return this.streamEnded(closing);
  }

  private async currentToken(): Promise<string> {
    if (this.token) return this.token;
    const token = await this.options.getToken!();
    if (typeof token !== 'string' || !token) throw new Error('getToken returned no token');
    this.token = token;
    this.tokenIsFresh = true;
    return token;
  }

  private connectionFailed(error: unknown): Next {
    if (this.finished) return 'stop';
    if (error instanceof SubscriptionError && error.status !== 0) {
      // A refused token that is not brand new may just have expired since: mint another once.
      if (error.status === 401 && this.options.getToken && !this.tokenIsFresh) {
        this.token = undefined;
        return 'now';
      }
      return this.fail(error.message, error.status);
    }
    const message = error instanceof Error ? error.message : String(error);
    this.emitError(error instanceof SubscriptionError ? error : new SubscriptionError(message, 0, false));
    return 'later';
  }

  private streamEnded(closing: EventSourceMessage | undefined): Next {
    if (this.finished) return 'stop';
    const reason = closing ? reasonOf(closing.data) : undefined;
    switch (closing?.event) {
      case 'expired':
        if (!this.options.getToken) return this.fail('the token expired (no getToken to renew it)', 401);
        this.token = undefined;
        return 'now';
      case 'overflow':
        return this.fail(
          `the top-N subscription matches more rows than the gateway keeps${reason ? `: ${reason}` : ''}`,
          0,
        );
      case 'lagging':
        this.emitError(new SubscriptionError('the gateway closed the stream: this client fell behind', 0, false));
        return 'later';
      case 'error':
        this.emitError(new SubscriptionError(`gateway error${reason ? `: ${reason}` : ''}`, 0, false));
        return 'later';
      default:
        return 'later';
    }
  }

  private handle(message: EventSourceMessage): void {
    const event = message.event ?? 'message';
    if (event === 'insert' || event === 'update' || event === 'delete') return this.change(event, message);
    if (event === 'ready') {
      this.transaction.length = 0;
      this.copy.completeInitialState();
      if (message.id) this.lastId = message.id;
      this.attempt = 0;
      this.setStatus('live');
      this.call(this.options.onReady, this.copy.rows);
      this.settleReady.resolve(this.copy.rows);
    } else if (event === 'reset') {
      this.transaction.length = 0;
      this.copy.clear();
      this.copy.beginInitialState();
      this.lastId = undefined;
      this.setStatus('syncing');
      this.call(this.options.onReset);
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
    this.call(this.options.onTransaction, changes, this.copy.rows);
    for (const c of changes) this.call(this.options.onChange, c, this.copy.rows);
  }

  private apply(kind: ChangeKind, key: RowKey, row: R | undefined): void {
    if (kind === 'delete') this.copy.remove(key);
    else this.copy.put(key, row as R);
  }

  private streamUrl(): string {
    const url = new URL(this.url, (globalThis as { location?: { href: string } }).location?.href);
    for (const [name, value] of Object.entries(this.options.params ?? {})) url.searchParams.set(name, String(value));
    if (this.options.after !== undefined) url.searchParams.set('after', this.options.after);
    return url.toString();
  }

  private fail(message: string, status: number): 'stop' {
    const error = new SubscriptionError(message, status, true);
    this.setStatus('failed');
    this.unwatch();
    this.emitError(error);
    this.settleReady.reject(error);
    return 'stop';
  }

  private emitError(error: SubscriptionError): void {
    this.call(this.options.onError, error);
  }

  private setStatus(status: SubscriptionStatus): void {
    if (this.state === status || this.finished) return;
    this.state = status;
    this.call(this.options.onStatus, status);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => done(), ms) : undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
    });
  }

  private wakeUp(): void {
    this.wake?.();
  }

  /** Calls an application callback; its exceptions are reported, not allowed to break the stream. */
  private call<A extends unknown[]>(callback: ((...args: A) => void) | undefined, ...args: A): void {
    if (!callback) return;
    try {
      callback(...args);
    } catch (error) {
      report(error);
    }
  }
}

function reasonOf(data: string): string | undefined {
  try {
    const body = JSON.parse(data) as { reason?: unknown; error?: unknown };
    const reason = body.reason ?? body.error;
    return typeof reason === 'string' ? reason : undefined;
  } catch {
    return undefined;
  }
}

/** Opens a live subscription; `url` is the gateway's `/v1/subscriptions/<name>` (see subscriptionUrl()). */
export function subscribe<R extends Row = Row, P extends SubscriptionParams = SubscriptionParams>(
  url: string,
  options: SubscribeOptions<R, P>,
): Subscription<R> {
  return new LiveSubscription<R>(url, options as SubscribeOptions<R>);
}

/** The stream URL of a subscription on a gateway (`http://host:8090` + name). */
export function subscriptionUrl(gatewayUrl: string, name: string): string {
  let end = gatewayUrl.length;
  while (end > 0 && gatewayUrl[end - 1] === '/') end--;
  return `${gatewayUrl.slice(0, end)}/v1/subscriptions/${encodeURIComponent(name)}`;
}
