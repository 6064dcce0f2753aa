import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Pool } from 'pg';
import type { ChangeEvent, Lsn, Row } from '@distributary/core';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import { silentLogger, gauge, type Logger } from '@distributary/observability';
import type { TypeResolver } from '../types/type-resolver';
import { DurableLsn } from './durable-lsn';
import { IncrementalSnapshotRunner } from './incremental-snapshot';
import { readOnly } from './read-only';
import { SnapshotRequests, type IncrementalSnapshotRequest, type SnapshotRecord } from './snapshot-requests';
import { describeSnapshotTable } from './table-meta';
import { WATERMARK_PREFIX, WatermarkWindow } from './watermark-window';
import {
  parseSnapshotWhere,
  SnapshotRequestError,
  STORED_WHERE_LIMITS,
  USER_WHERE_LIMITS,
  type WhereLimits,
} from './where-clause';

export const SNAPSHOT_QUEUE = 'snapshots';

const snapshotRows = gauge('distributary_snapshot_rows_done', 'Rows appended by a snapshot', ['snapshot', 'table']);
const snapshotTotal = gauge('distributary_snapshot_rows_estimated', 'Estimated rows of a snapshot', [
  'snapshot',
  'table',
]);

function queueFor(redis: RedisClient, keys: LogKeys): Queue {
  return new Queue(SNAPSHOT_QUEUE, { connection: redis as unknown as ConnectionOptions, prefix: keys.jobsPrefix() });
}

/**
 * Records an incremental snapshot and queues it for the active connector (CLI, admin API, config
 * changes, verify repair). A `where` is checked first (parseSnapshotWhere: one condition, no
 * statements, comments, subqueries or functions outside the allow-list; with `source`, over the
 * table's real columns) and stored as rendered from its AST; a refused one throws SnapshotWhereError
 * and records nothing. The size limits here are STORED_WHERE_LIMITS (generated conditions can be long);
 * input typed by a person is held to USER_WHERE_LIMITS first (snapshotControls, the CLI).
 */
export async function requestSnapshot(
  redis: RedisClient,
  keys: LogKeys,
  request: IncrementalSnapshotRequest,
  options: { source?: Pool } = {},
): Promise<SnapshotRecord> {
  const checked = await checkRequest(request, options.source);
  const record = await new SnapshotRequests(redis, keys).create(checked);
  await enqueue(redis, keys, record.id);
  return record;
}

export const MAX_SNAPSHOT_KEYS = 10_000;
export const MAX_CHUNK_SIZE = 100_000;

async function checkRequest(
  request: IncrementalSnapshotRequest,
  source?: Pool,
  limits: WhereLimits = STORED_WHERE_LIMITS,
): Promise<IncrementalSnapshotRequest> {
  const { chunkSize, keys } = request;
  if (chunkSize !== undefined && (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE))
    throw new SnapshotRequestError(`chunkSize: expected a whole number between 1 and ${MAX_CHUNK_SIZE}`);
  if (keys !== undefined) {
    if (!Array.isArray(keys) || keys.length > MAX_SNAPSHOT_KEYS)
      throw new SnapshotRequestError(`keys: expected a list of at most ${MAX_SNAPSHOT_KEYS} key objects`);
    for (const key of keys)
      if (!key || typeof key !== 'object' || Array.isArray(key))
        throw new SnapshotRequestError('keys: expected key objects like {"id": 7}');
  }
  if (request.where === undefined) return request;
  const columns = source
    ? (await readOnly(source, (client) => describeSnapshotTable(client, request.table))).columns.map((c) => c.name)
    : undefined;
  return { ...request, where: await parseSnapshotWhere(request.where, columns, limits) };
}

/** Resumes a paused or failed snapshot from where it stopped. */
export async function resumeSnapshot(redis: RedisClient, keys: LogKeys, id: string): Promise<SnapshotRecord> {
  const record = await new SnapshotRequests(redis, keys).setStatus(id, 'queued');
  await enqueue(redis, keys, id);
  return record;
}

async function enqueue(redis: RedisClient, keys: LogKeys, id: string): Promise<void> {
  const queue = queueFor(redis, keys);
  try {
    await queue.add(
      'snapshot',
      { id },
      { jobId: `${id}.${Date.now()}`, removeOnComplete: 100, removeOnFail: 100, attempts: 1 },
    );
  } finally {
    await queue.close();
  }
}

/**
 * Lives in the active connector: feeds the watermark window from the stream and runs queued
 * snapshots (BullMQ worker, one at a time). The connector calls observe() for every data event,
 * onMessage() for every logical message (appending what it returns at that position) and
 * durableThrough() after every durable append.
 */
export class SnapshotCoordinator {
  readonly window = new WatermarkWindow();
  readonly durable = new DurableLsn();
  private worker?: Worker;
  private readonly stopping = new AbortController();
  private readonly runner: IncrementalSnapshotRunner;
  private readonly requests: SnapshotRequests;
  private readonly logger: Logger;

  constructor(
    private readonly options: {
      redis: RedisClient;
      keys: LogKeys;
      pool: Pool;
      types: TypeResolver;
      logger?: Logger;
      watermarkTimeoutMs?: number;
    },
  ) {
    this.logger = options.logger ?? silentLogger;
    this.requests = new SnapshotRequests(options.redis, options.keys);
    this.runner = new IncrementalSnapshotRunner({
      pool: options.pool,
      types: options.types,
      window: this.window,
      durable: this.durable,
      requests: this.requests,
      logger: this.logger,
      watermarkTimeoutMs: options.watermarkTimeoutMs,
      signal: this.stopping.signal,
    });
  }

  observe(event: ChangeEvent): void {
    this.window.observe(event);
  }

  onMessage(prefix: string, content: string, lsn: Lsn): ChangeEvent[] {
    return prefix === WATERMARK_PREFIX ? this.window.onMessage(content, lsn) : [];
  }

  durableThrough(lsn: Lsn): void {
    this.durable.advance(lsn);
  }

  /** Starts taking snapshot jobs; snapshots left running by a dead connector are queued again. */
  async start(): Promise<void> {
    this.worker = new Worker(SNAPSHOT_QUEUE, async (job) => this.runOne(String(job.data.id)), {
      connection: this.options.redis as unknown as ConnectionOptions,
      prefix: this.options.keys.jobsPrefix(),
      concurrency: 1,
      lockDuration: 60_000,
    });
    this.worker.on('failed', (job, error) => this.logger.error({ job: job?.data, err: error }, 'snapshot job failed'));
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'snapshot worker error'));
    this.logger.info('snapshot jobs: worker started');
    for (const record of await this.requests.list(200)) {
      if (record.status === 'running') await enqueue(this.options.redis, this.options.keys, record.id);
    }
  }

  async runOne(id: string): Promise<string> {
    const record = await this.requests.get(id);
    if (!record) return 'missing';
    const outcome = await this.runner.run(id);
    const final = await this.requests.get(id);
    if (final) {
      snapshotRows.set({ snapshot: id, table: final.table }, final.rowsDone);
      snapshotTotal.set({ snapshot: id, table: final.table }, final.estimatedTotal);
    }
    return outcome;
  }

  /** Interrupts a snapshot in flight (it stays 'running' and resumes under the next leader). */
  async stop(): Promise<void> {
    this.stopping.abort();
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    // Closing a worker whose blocking connection is still connecting makes BullMQ emit that
    // connection's failure after close() removed every listener: an uncaught 'error' that kills the
    // process (seen when short connector terms retry). Let it finish connecting first; the connector
    // bounds this wait while Redis is unreachable.
    await worker.waitUntilReady().catch(() => undefined);
    await worker.close();
  }
}

/** Start / pause / resume / cancel from any process that reaches the log Redis (CLI, admin API). */
export interface SnapshotControls {
  start(request: { tables?: string[]; where?: string; keys?: Row[]; reason?: string }): Promise<SnapshotRecord[]>;
  pause(id: string): Promise<SnapshotRecord>;
  resume(id: string): Promise<SnapshotRecord>;
  cancel(id: string): Promise<SnapshotRecord>;
  list(): Promise<SnapshotRecord[]>;
}

export function snapshotControls(
  redis: RedisClient,
  keys: LogKeys,
  publishedTables: readonly string[],
  options: { source?: Pool } = {},
): SnapshotControls {
  const requests = new SnapshotRequests(redis, keys);
  return {
    async start({ tables, where, keys: keyList, reason }) {
      const chosen = tables?.length ? tables : [...publishedTables];
      const unknown = chosen.filter((t) => !publishedTables.includes(t));
      if (unknown.length)
        throw new Error(`not a published table: ${unknown.join(', ')} (published: ${publishedTables.join(', ')})`);
      // Every request is checked before any is recorded: a refused condition starts nothing.
      const checked: IncrementalSnapshotRequest[] = [];
      for (const table of chosen)
        checked.push(await checkRequest({ table, where, keys: keyList, reason }, options.source, USER_WHERE_LIMITS));
      const started: SnapshotRecord[] = [];
      for (const request of checked) started.push(await requestSnapshot(redis, keys, request));
      return started;
    },
    pause: (id) => requests.setStatus(id, 'paused'),
    resume: (id) => resumeSnapshot(redis, keys, id),
    cancel: (id) => requests.setStatus(id, 'cancelled'),
    list: () => requests.list(),
  };
}

/**
 * Tables whose full current state the log holds (so a new sink can bootstrap by reading it from the
 * start): covered by the initial snapshot — done, running, or about to run on the first start — or by a
 * finished whole-table incremental snapshot. Under time-based retention nothing is held: old entries
 * are trimmed.
 */
export async function tablesHeldByLog(
  redis: RedisClient,
  keys: LogKeys,
  config: { tables: readonly string[]; initialSnapshot: boolean; timeRetention: boolean },
): Promise<Set<string>> {
  const held = new Set<string>();
  if (config.timeRetention) return held;
  const initial = await redis.hgetall(keys.initialSnapshot());
  if (initial.status) for (const table of JSON.parse(initial.tables ?? '[]') as string[]) held.add(table);
  else if (config.initialSnapshot) for (const table of config.tables) held.add(table);
  for (const record of await new SnapshotRequests(redis, keys).list(1000))
    if (record.status === 'done' && !record.where && !record.keys) held.add(record.table);
  return held;
}
