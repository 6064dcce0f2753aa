/**
 * The connection loop of one subscription: connects, reconnects with backoff (at once after a
 * token refresh, and not while the browser is offline), resumes from the copy's last event id (no
 * gap, no duplicate) and gives up when the gateway refuses the request or the subscription.
 */
import type { EventSourceMessage } from 'eventsource-parser';
import { backoffDelay } from './backoff';
import { ChangeFeed } from './change-feed';
import { SubscriptionError } from './errors';
import { isOffline, watchConnectivity } from './network';
import { safeCall } from './safe-call';
import { readSse } from './sse-request';
import type { SubscribeOptions, Subscription } from './subscribe-options';
import { streamUrl } from './stream-url';
import { TokenSource } from './token-source';
import type { Row, SubscriptionStatus } from './types';

/** After a connection: connect again at once, after a backoff, or never. */
type Next = 'now' | 'later' | 'stop';
/** The events with which the gateway ends a stream. */
const CLOSING_EVENTS = new Set(['expired', 'lagging', 'overflow', 'error']);

export class LiveSubscription<R extends Row> implements Subscription<R> {
  private readonly tokens: TokenSource;
  private readonly feed: ChangeFeed<R>;
  private state: SubscriptionStatus = 'connecting';
  private attempt = 0;
  private connection: AbortController | undefined;
  private wake: (() => void) | undefined;
  private readonly ready: Promise<ReadonlyMap<string, R>>;
  private settleReady!: { resolve: (rows: ReadonlyMap<string, R>) => void; reject: (error: Error) => void };
  private readonly unwatch: () => void;

  constructor(
    /** The gateway's `/v1/subscriptions/<name>` (subscriptionUrl()). */
    private readonly url: string,
    private readonly options: SubscribeOptions<R>,
  ) {
    this.tokens = new TokenSource(options);
    this.streamUrl(); // a malformed URL throws here, not in every reconnect
    this.feed = new ChangeFeed<R>(options, {
      ready: (rows) => {
        this.attempt = 0;
        this.setStatus('live');
        safeCall(this.options.onReady, rows);
        this.settleReady.resolve(rows);
      },
      reset: () => {
        this.setStatus('syncing');
        safeCall(this.options.onReset);
      },
    });
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => undefined);
    this.unwatch = watchConnectivity((online) => {
      if (online) this.wakeUp();
      else this.connection?.abort(new SubscriptionError('the browser went offline', 0, false));
    });
    void this.run();
  }

  rows(): ReadonlyMap<string, R> {
    return this.feed.copy.rows;
  }

  get status(): SubscriptionStatus {
    return this.state;
  }

  get lastEventId(): string | undefined {
    return this.feed.lastId;
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
      token = await this.tokens.current();
    } catch (error) {
      this.emitError(new SubscriptionError(`getToken failed: ${(error as Error).message}`, 0, false));
      return 'later';
    }
    if (this.finished) return 'stop';
    this.feed.connecting();
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (this.feed.lastId !== undefined) headers['last-event-id'] = this.feed.lastId;
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
          this.tokens.accepted();
          this.setStatus('syncing');
        },
        onEvent: (message) => {
          if (closing) return;
          if (CLOSING_EVENTS.has(message.event ?? '')) closing = message;
          else this.feed.handle(message);
        },
      });
    } catch (error) {
      return this.connectionFailed(error);
    } finally {
      this.connection = undefined;
      this.feed.disconnected();
    }
    return this.streamEnded(closing);
  }

  private connectionFailed(error: unknown): Next {
    if (this.finished) return 'stop';
    if (error instanceof SubscriptionError && error.status !== 0) {
      if (error.status === 401 && this.tokens.retryRefused()) return 'now';
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
        if (!this.tokens.renewable) return this.fail('the token expired (no getToken to renew it)', 401);
        this.tokens.expire();
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

  private streamUrl(): string {
    return streamUrl(this.url, this.options.params, this.options.after);
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
    safeCall(this.options.onError, error);
  }

  private setStatus(status: SubscriptionStatus): void {
    if (this.state === status || this.finished) return;
    this.state = status;
    safeCall(this.options.onStatus, status);
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
}

/** The reason in a closing event's JSON data (`reason` or `error`), if any. */
function reasonOf(data: string): string | undefined {
  try {
    const body = JSON.parse(data) as { reason?: unknown; error?: unknown };
    const reason = body.reason ?? body.error;
    return typeof reason === 'string' ? reason : undefined;
  } catch {
    return undefined;
  }
}
