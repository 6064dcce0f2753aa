import { Pool } from 'pg';
import { readBackendWaits, type BackendWait } from './backend-waits';
import type { OwnBackends } from './own-backends';

/** A wait seen on at least two polls in a row, with the time it was first seen. */
export interface ObservedWait extends BackendWait {
  /** ISO time the wait was first observed (it began at most one poll earlier). */
  since: string;
}

export interface WaitWatchOptions {
  url: string;
  /** Our replication slot: the walsender holding it (creating or streaming) is ours too. */
  slot: string;
  backends: OwnBackends;
  /** Called with the current waits whenever their set changes ([] when nothing waits any more). */
  onChange: (waits: ObservedWait[]) => void | Promise<void>;
  /** Poll period (default 2 s); a wait is reported once seen on two polls in a row. */
  everyMs?: number;
}

/**
 * Watches what our own PostgreSQL backends wait for, from a connection of its own (the pools it
 * watches may be the ones that are stuck). Best effort: a failed poll is skipped.
 */
export class WaitWatch {
  private readonly pool: Pool;
  private readonly firstSeen = new Map<string, string>();
  private reported = '';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private polling: Promise<void> = Promise.resolve();

  constructor(private readonly options: WaitWatchOptions) {
    this.pool = new Pool({
      connectionString: options.url,
      max: 1,
      connectionTimeoutMillis: 5_000,
      query_timeout: 5_000,
    });
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  start(): this {
    this.schedule();
    return this;
  }

  /** Stops polling, closes its connection, and clears what it reported. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    await this.pool.end().catch(() => undefined);
    if (this.reported) await this.options.onChange([]);
  }

  /** One poll (exposed for tests): returns the waits now reported. */
  async poll(): Promise<ObservedWait[]> {
    const waits = await readBackendWaits(this.pool, this.options.backends.list(), this.options.slot);
    const now = new Date().toISOString();
    const current = new Map(waits.map((w) => [waitKey(w), w]));
    for (const key of this.firstSeen.keys()) if (!current.has(key)) this.firstSeen.delete(key);
    const observed: ObservedWait[] = [];
    for (const [key, wait] of current) {
      const since = this.firstSeen.get(key);
      if (since === undefined) this.firstSeen.set(key, now);
      else observed.push({ ...wait, since });
    }
    const signature = observed.map((w) => `${waitKey(w)}|${w.blockers.map((b) => b.pid).join(',')}`).join(';');
    if (signature !== this.reported && !this.stopped) {
      this.reported = signature;
      await this.options.onChange(observed);
    }
    return observed;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll()
        .then(() => undefined)
        .catch(() => undefined)
        .finally(() => this.schedule());
    }, this.options.everyMs ?? 2_000);
  }
}

function waitKey(wait: BackendWait): string {
  return `${wait.pid}|${wait.waitEventType}|${wait.waitEvent}|${wait.queryStart ?? ''}`;
}
