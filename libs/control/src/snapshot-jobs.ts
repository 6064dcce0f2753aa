import { Queue, type ConnectionOptions } from 'bullmq';
import type { Pool } from 'pg';
import type { Row } from '@distributary/core';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import {
  readOnly,
  describeSnapshotTable,
  parseSnapshotWhere,
  SnapshotRequestError,
  STORED_WHERE_LIMITS,
  USER_WHERE_LIMITS,
  type IncrementalSnapshotRequest,
  type SnapshotRecord,
  type WhereLimits,
} from '@distributary/pg-snapshot';
import { SnapshotRequests } from './snapshot-requests';

export const SNAPSHOT_QUEUE = 'snapshots';

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

/** Queues a recorded snapshot for the active connector's SnapshotCoordinator (BullMQ). */
export async function enqueue(redis: RedisClient, keys: LogKeys, id: string): Promise<void> {
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
