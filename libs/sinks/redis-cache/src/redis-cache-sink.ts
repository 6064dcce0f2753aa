import type { RedisCacheSinkConfig } from '@distributary/config';
import { connectRedis, type RedisClient } from '@distributary/changelog';
import {
  DistributaryError,
  canonicalKey,
  comparePositions,
  positionToId,
  type ApplyResult,
  type ChangeEvent,
  type RejectedEvent,
  type Sink,
  type SinkBatch,
  type SinkLagInfo,
} from '@distributary/core';
import { health, silentLogger, type Logger } from '@distributary/observability';
import { CacheModel } from './plan/cache-model';
import { CacheWriter } from './write/cache-writer';
import { withDeadline } from './write/deadline';
import { cacheDurability, type CacheDurability } from './target/durability';
import { EventApplier, type EventOutcome } from './write/event-applier';
import { cacheMetrics } from './metrics';
import { asRetryable, classifyFailure } from './write/redis-errors';
import { ownerKey, readRowState, rowStatePattern } from './plan/row-state';
import { scanKeyPages } from './target/scan-keys';
import { versionOf } from './version';

export interface RedisCacheSinkDeps {
  logger?: Logger;
  /** An existing client to write with (not closed by the sink). Default: connect to `config.redis`
   *  with bounded retries and `config.commandTimeout`, so an unreachable cache fails fast. */
  client?: RedisClient;
  /** How many rows are written concurrently inside one batch (events of one row stay in order). */
  concurrency?: number;
  /** The pipeline (log namespace) this sink belongs to; default 'distributary'. See claimNamespace(). */
  pipeline?: string;
}

interface PartitionProgress {
  lastId: string;
  commitTs?: string;
  appliedAt: number;
}

/**
 * Redis cache sink: keeps one key per row of `from` (JSON or hash, projected, filtered, optional TTL)
 * and query caches (sets / sorted sets per group) in step with the change log.
 *
 * Guarantees (see event-applier.ts): apply() is idempotent and order-safe per row; a late, older event
 * never overwrites or resurrects; a Redis that is unreachable throws RetryableError with nothing
 * lost (the batch is simply applied again); an event that cannot be rendered or written is returned
 * in `rejected` with the reason, and the rest of the batch goes on.
 */
export class RedisCacheSink implements Sink {
  readonly kind = 'redis';
  readonly name: string;
  readonly tables: readonly string[];
  private readonly model: CacheModel;
  private readonly pipeline: string;
  private readonly logger: Logger;
  private readonly concurrency: number;
  private client: RedisClient | undefined;
  private applier: EventApplier | undefined;
  private readonly ownsClient: boolean;
  private readonly progress = new Map<number, PartitionProgress>();
  private readonly totals = { applied: 0, stale: 0, rejected: 0 };
  private durability: CacheDurability = 'unknown';

  constructor(
    private readonly config: RedisCacheSinkConfig,
    deps: RedisCacheSinkDeps = {},
  ) {
    this.name = config.name;
    this.tables = [config.from];
    this.model = new CacheModel(config, deps.pipeline);
    this.pipeline = deps.pipeline ?? 'distributary';
    this.logger = (deps.logger ?? silentLogger).child({ sink: config.name });
    this.concurrency = deps.concurrency ?? 1024;
    this.client = deps.client;
    this.ownsClient = deps.client === undefined;
  }

  async open(): Promise<void> {
    if (!this.client) {
      const timeout = this.config.commandTimeout;
      this.client = connectRedis(this.config.redis, {
        maxRetriesPerRequest: 1,
        commandTimeout: timeout,
        connectTimeout: timeout,
        retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
      });
      let lastReport = 0;
      this.client.on('error', (error: Error) => {
        if (Date.now() - lastReport < 5_000) return;
        lastReport = Date.now();
        this.logger.warn({ err: error }, 'cache Redis connection error');
      });
    }
    const client = this.client;
    const writer = new CacheWriter(
      client,
      {
        ttlMs: this.config.ttl ?? 0,
        tombstoneTtlMs: this.config.tombstoneTtl,
        commandTimeoutMs: this.config.commandTimeout,
        limits: this.config.queries.map((q) => ({ limit: q.limit ?? 0, order: q.order })),
      },
      (kind) => cacheMetrics.writes.inc({ sink: this.name, kind }),
    );
    this.applier = new EventApplier(client, this.model, writer, {
      tombstoneTtlMs: this.config.tombstoneTtl,
      timeoutMs: this.config.commandTimeout,
    });
    try {
      await withDeadline('PING', this.config.commandTimeout, client.ping());
    } catch (error) {
      throw asRetryable(error, `opening sink ${this.name}`);
    }
    await this.claimNamespace(client);
    this.durability = await withDeadline('CONFIG GET', this.config.commandTimeout, cacheDurability(client)).catch(
      (): CacheDurability => 'unknown',
    );
    if (this.durability !== 'aof-always')
      this.logger.warn(
        { durability: this.durability },
        'cache Redis does not fsync every write (appendfsync always): a crash of it can lose acknowledged writes',
      );
    health.register(this.healthCheckName, async () => {
      await withDeadline('PING', this.config.commandTimeout, client.ping());
    });
    this.logger.info({ table: this.config.from, key: this.config.key }, 'redis cache sink open');
  }

  /**
   * The ownership marker of the bookkeeping namespace: `<namespace>:owner` = `<pipeline>/<sink>`, set
   * on first open. A sink of another pipeline (or another sink) whose namespace resolves to the same
   * place refuses to open, naming the owner, instead of mixing row records.
   */
  private async claimNamespace(client: RedisClient): Promise<void> {
    const key = ownerKey(this.model.namespace);
    const me = `${this.pipeline}/${this.name}`;
    const owner = await withDeadline(
      'owner marker',
      this.config.commandTimeout,
      client.set(key, me, 'NX').then(async (set) => (set === 'OK' ? me : await client.get(key))),
    ).catch((error: unknown) => {
      throw asRetryable(error, `opening sink ${this.name}`);
    });
    if (owner !== null && owner !== me)
      throw new DistributaryError(
        `sink ${this.name} (pipeline ${this.pipeline}) refuses to keep its row records under ${this.model.namespace}: ` +
          `it belongs to ${owner} (pipeline/sink, key ${key}); set another \`namespace\``,
      );
  }

  async apply(batch: SinkBatch): Promise<ApplyResult> {
    const applier = this.applier;
    if (!applier) throw new Error(`sink ${this.name}: apply() before open()`);
    const stopTimer = cacheMetrics.batchSeconds.startTimer({ sink: this.name });
    const result: ApplyResult = { applied: 0, skippedAsStale: 0, rejected: [] };
    const unavailable: unknown[] = [];
    const bugs: unknown[] = [];

    const handle = async (event: ChangeEvent): Promise<void> => {
      try {
        const outcome = await this.applyOne(applier, event);
        if (outcome === 'stale') result.skippedAsStale++;
        else result.applied++;
      } catch (error) {
        const kind = classifyFailure(error);
        if (kind === 'reject') result.rejected.push(rejection(event, error));
        else if (kind === 'retry') unavailable.push(error);
        else bugs.push(error);
      }
    };

    try {
      // A truncate orders against every row, so it splits the batch into segments applied one after
      // another; inside a segment rows go concurrently and each row's events in log order.
      for (const segment of segments(batch.events)) {
        if (unavailable.length || bugs.length) break;
        if (segment.truncate) await handle(segment.truncate);
        else await runChains(chainsByRow(segment.events), this.concurrency, handle);
      }
    } finally {
      stopTimer();
    }

    if (bugs.length) throw bugs[0];
    if (unavailable.length) {
      cacheMetrics.errors.inc({ sink: this.name, kind: 'unavailable' }, unavailable.length);
      throw asRetryable(unavailable[0], `applying ${batch.events.length} events of partition ${batch.partition}`);
    }
    result.rejected.sort((a, b) => comparePositions(a.event.pos, b.event.pos));
    this.record(batch, result);
    return result;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.applier = undefined;
    health.unregister(this.healthCheckName);
    if (!client || !this.ownsClient) return;
    this.client = undefined;
    try {
      await withDeadline('QUIT', this.config.commandTimeout, client.quit());
    } catch {
      client.disconnect();
    }
  }

  async describe(): Promise<SinkLagInfo> {
    const partitions: Record<string, { lastId: string; commitTs?: string; lagSeconds?: number; appliedAt: string }> =
      {};
    for (const [partition, p] of this.progress) {
      partitions[String(partition)] = {
        lastId: p.lastId,
        commitTs: p.commitTs,
        lagSeconds: lagSeconds(p.commitTs, p.appliedAt),
        appliedAt: new Date(p.appliedAt).toISOString(),
      };
    }
    return {
      description: `Redis cache of ${this.config.from} at ${describeTarget(this.config.redis)} (key ${this.config.key})`,
      partitions,
      events: { ...this.totals },
      durability: this.durability,
    };
  }

  private get healthCheckName(): string {
    return `sink:${this.name}:cache-redis`;
  }

  private async applyOne(applier: EventApplier, event: ChangeEvent): Promise<EventOutcome> {
    if (event.table !== this.config.from) return 'applied';
    if (event.op === 't') return this.truncate(applier, event);
    return applier.apply(event);
  }

  /** TRUNCATE carries no keys: every row this sink remembers for the table is removed at its version. */
  private async truncate(applier: EventApplier, event: ChangeEvent): Promise<EventOutcome> {
    const client = this.client;
    if (!client) throw new Error(`sink ${this.name} is closed`);
    const version = versionOf(event.pos);
    const pattern = rowStatePattern(this.model.namespace, this.config.from);
    let removed = 0;
    // a SCAN page at a time: memory stays one page whatever the number of cached rows
    const pages = scanKeyPages(client, pattern)[Symbol.asyncIterator]();
    for (;;) {
      const page = await withDeadline(`SCAN ${pattern}`, 60_000, pages.next());
      if (page.done) break;
      await runChains(
        page.value.map((key) => [key]),
        this.concurrency,
        async (key) => {
          const state = await readRowState(client, key, this.config.commandTimeout);
          if (state && (await applier.removeRemembered(key, state, version)) === 'applied') removed++;
        },
      );
    }
    this.logger.info({ table: event.table, removed, pos: positionToId(event.pos) }, 'truncate applied to cache');
    return 'applied';
  }

  private record(batch: SinkBatch, result: ApplyResult): void {
    this.totals.applied += result.applied;
    this.totals.stale += result.skippedAsStale;
    this.totals.rejected += result.rejected.length;
    cacheMetrics.events.inc({ sink: this.name, result: 'applied' }, result.applied);
    cacheMetrics.events.inc({ sink: this.name, result: 'stale' }, result.skippedAsStale);
    cacheMetrics.events.inc({ sink: this.name, result: 'rejected' }, result.rejected.length);
    if (result.rejected.length) {
      cacheMetrics.errors.inc({ sink: this.name, kind: 'rejected' }, result.rejected.length);
      for (const r of result.rejected)
        this.logger.warn({ pos: positionToId(r.event.pos), table: r.event.table, error: r.error }, 'event rejected');
    }
    const last = batch.events[batch.events.length - 1];
    const appliedAt = Date.now();
    const progress: PartitionProgress = { lastId: batch.lastId, commitTs: last?.commitTs, appliedAt };
    this.progress.set(batch.partition, progress);
    const lag = lagSeconds(progress.commitTs, appliedAt);
    if (lag !== undefined) cacheMetrics.lagSeconds.set({ sink: this.name, partition: String(batch.partition) }, lag);
  }
}

export function createRedisCacheSink(config: RedisCacheSinkConfig, deps: RedisCacheSinkDeps = {}): RedisCacheSink {
  return new RedisCacheSink(config, deps);
}

type Segment = { truncate: ChangeEvent; events?: never } | { truncate?: never; events: ChangeEvent[] };

function segments(events: ChangeEvent[]): Segment[] {
  const out: Segment[] = [];
  let current: ChangeEvent[] = [];
  for (const event of events) {
    if (event.op === 't') {
      if (current.length) out.push({ events: current });
      current = [];
      out.push({ truncate: event });
    } else current.push(event);
  }
  if (current.length) out.push({ events: current });
  return out;
}

function chainsByRow(events: ChangeEvent[]): ChangeEvent[][] {
  const chains = new Map<string, ChangeEvent[]>();
  for (const event of events) {
    const id = canonicalKey(event.table, event.key);
    const chain = chains.get(id);
    if (chain) chain.push(event);
    else chains.set(id, [event]);
  }
  return [...chains.values()];
}

/** Runs chains concurrently (at most `limit` at a time); the items of one chain strictly in order. */
async function runChains<T>(chains: T[][], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chains.length) {
      const chain = chains[next++];
      for (const item of chain) await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, chains.length) }, worker));
}

function rejection(event: ChangeEvent, error: unknown): RejectedEvent {
  const message = error instanceof Error ? error.message : String(error);
  return { event, error: `redis-cache: ${message}` };
}

function lagSeconds(commitTs: string | undefined, appliedAt: number): number | undefined {
  if (!commitTs) return undefined;
  const committed = Date.parse(commitTs);
  return Number.isFinite(committed) ? Math.max(0, (appliedAt - committed) / 1000) : undefined;
}

function describeTarget(target: RedisCacheSinkConfig['redis']): string {
  const host = (url: string): string => {
    try {
      return new URL(url).host;
    } catch {
      return '<invalid url>';
    }
  };
  return 'url' in target ? host(target.url) : `cluster ${target.cluster.map(host).join(',')}`;
}
