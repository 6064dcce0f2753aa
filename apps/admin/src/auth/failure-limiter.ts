/**
 * Rate limit on token failures: a client (remote address) that presented more than `max` wrong
 * tokens within `windowMs` is answered 429 on every /api request until its window ends. A missing
 * token is not a failure (nothing was guessed). Memory is bounded: at most `maxClients` addresses are
 * tracked; when full, expired ones go first, then the oldest.
 */
export interface FailureLimiterOptions {
  max: number;
  windowMs: number;
  maxClients?: number;
}

interface Window {
  failures: number;
  resetAt: number;
}

export class FailureLimiter {
  private readonly clients = new Map<string, Window>();
  private readonly maxClients: number;

  constructor(
    private readonly options: FailureLimiterOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.maxClients = options.maxClients ?? 10_000;
  }

  /** Milliseconds until `client` may try again, or 0 when it is not blocked. */
  blockedFor(client: string): number {
    const window = this.clients.get(client);
    if (!window) return 0;
    const left = window.resetAt - this.now();
    if (left <= 0) {
      this.clients.delete(client);
      return 0;
    }
    return window.failures > this.options.max ? left : 0;
  }

  fail(client: string): void {
    const now = this.now();
    const window = this.clients.get(client);
    if (window && window.resetAt > now) {
      window.failures++;
      return;
    }
    this.clients.delete(client);
    if (this.clients.size >= this.maxClients) this.evict(now);
    this.clients.set(client, { failures: 1, resetAt: now + this.options.windowMs });
  }

  get size(): number {
    return this.clients.size;
  }

  private evict(now: number): void {
    for (const [client, window] of this.clients) if (window.resetAt <= now) this.clients.delete(client);
    while (this.clients.size >= this.maxClients) {
      const oldest = this.clients.keys().next().value as string;
      this.clients.delete(oldest);
    }
  }
}
