/**
 * Direct, version-guarded repair in the target, used for keys the log cannot fix by itself.
 *
 * Why a version of L - 1 is safe (L = the LSN the sink was verified at): verification waited until the
 * sink had applied EVERY log entry below L, and every transaction committed before L is in the log.
 * So (a) anything the target holds for the key has a version below L and is superseded, and (b) every
 * later change of the key has a commit LSN ≥ L > L - 1 and therefore still wins when the sink applies
 * it. A write at L - 1 can never hide a newer change.
 *
 * - Extra keys whose source row is gone (a snapshot finds nothing, so nothing would ever remove them):
 *   Elasticsearch `delete` with version_type external_gte at L - 1; Redis the sink's own versioned
 *   delete / member removal scripts (they leave tombstones at L - 1).
 * - Fallback for missing / different keys when no connector picks up the repair snapshot: the rows are
 *   read from the source now and applied through the SINK'S OWN apply() as 'r' events at position
 *   (L - 1, i): same rendering, same guards, nothing invented.
 */
import type { Client } from '@elastic/elasticsearch';
import type { ElasticsearchSinkConfig, RedisCacheSinkConfig } from '@distributary/config';
import type { RedisClient } from '@distributary/changelog';
import { positionToId, type ChangeEvent, type Lsn, type Row, type Sink } from '@distributary/core';
import { createElasticsearchSink, versionOf as esVersionOf } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { CacheWriter, createRedisCacheSink, versionOf as cacheVersionOf } from '@distributary/sink-redis-cache';
import { snapshotSelect } from '../oracle/snapshot-select';
import { SourceSnapshot } from '../oracle/source-snapshot';
import { MEMBER_PREFIX, VALUE_PREFIX, parseMemberKey } from '../sides/redis-cache-sides';
import type { SourceHandle } from '../verify-sink';

/** What a direct repair did, per outcome (`rejected`: each key the sink refused, with its error). */
export interface DirectRepairCounts {
  rewritten: number;
  deleted: number;
  skippedAsNewer: number;
  rejected: string[];
}

export const emptyCounts = (): DirectRepairCounts => ({ rewritten: 0, deleted: 0, skippedAsNewer: 0, rejected: [] });

/**
 * The current source rows of `keys`, rendered by PostgreSQL per the type contract (the same oracle as
 * verification, so a repair writes what PostgreSQL holds even if the pipeline's decoder were wrong).
 */
export async function readSourceRows(
  source: SourceHandle,
  table: string,
  keys: Row[],
): Promise<{ rows: Row[]; keyColumns: string[] }> {
  const snapshot = await SourceSnapshot.open(source.url);
  try {
    const { primaryKey } = await snapshot.describe(table);
    if (keys.length === 0) return { rows: [], keyColumns: primaryKey };
    const rows = await snapshotSelect(snapshot).select(table, [{ columns: primaryKey, tuples: keys }]);
    return { rows, keyColumns: primaryKey };
  } finally {
    await snapshot.end();
  }
}

export function syntheticReads(table: string, rows: Row[], keyColumns: readonly string[], lsn: Lsn): ChangeEvent[] {
  return rows.map((row, seq) => ({
    pos: { lsn, seq },
    op: 'r',
    table,
    key: Object.fromEntries(keyColumns.map((c) => [c, row[c]])),
    after: row,
  }));
}

export async function applyThroughSink(sink: Sink, events: ChangeEvent[]): Promise<DirectRepairCounts> {
  const counts = emptyCounts();
  if (events.length === 0) return counts;
  await sink.open();
  try {
    const last = events[events.length - 1];
    const result = await sink.apply({
      sink: sink.name,
      partition: -1,
      events,
      lastId: positionToId(last.pos),
      fencingToken: 0,
    });
    counts.rewritten += result.applied;
    counts.skippedAsNewer += result.skippedAsStale;
    counts.rejected.push(...result.rejected.map((r) => `${JSON.stringify(r.event.key)}: ${r.error}`));
  } finally {
    await sink.close();
  }
  return counts;
}

export function sinkFor(
  config: ElasticsearchSinkConfig | RedisCacheSinkConfig,
  source: SourceHandle,
  cacheClient?: RedisClient,
  /** The pipeline (log namespace): sinks key their state by it and refuse stores it does not own. */
  pipeline?: string,
): Sink {
  return 'elasticsearch' in config
    ? createElasticsearchSink(config, { source: new PgSourceRows(source.url), pipeline })
    : createRedisCacheSink(config, { client: cacheClient, pipeline });
}

export async function deleteExtraDocuments(
  client: Client,
  alias: string,
  ids: string[],
  verifiedLsn: Lsn,
): Promise<DirectRepairCounts> {
  const counts = emptyCounts();
  const version = esVersionOf(verifiedLsn - 1n);
  for (const id of ids) {
    try {
      await client.delete({ index: alias, id, version, version_type: 'external_gte', refresh: true });
      counts.deleted++;
    } catch (error) {
      const status = (error as { meta?: { statusCode?: number } }).meta?.statusCode;
      if (status === 409) counts.skippedAsNewer++;
      else if (status !== 404) throw error;
    }
  }
  return counts;
}

export async function deleteExtraCacheKeys(
  client: RedisClient,
  sink: RedisCacheSinkConfig,
  keys: string[],
  verifiedLsn: Lsn,
): Promise<DirectRepairCounts> {
  const counts = emptyCounts();
  const writer = new CacheWriter(client, {
    ttlMs: sink.ttl ?? 0,
    tombstoneTtlMs: sink.tombstoneTtl,
    commandTimeoutMs: sink.commandTimeout,
    limits: sink.queries.map((q) => ({ limit: q.limit ?? 0, order: q.order })),
  });
  const version = cacheVersionOf({ lsn: verifiedLsn - 1n, seq: 9_999_999_999 });
  for (const key of keys) {
    let written = false;
    if (key.startsWith(VALUE_PREFIX)) written = await writer.deleteValue(key.slice(VALUE_PREFIX.length), version);
    else if (key.startsWith(MEMBER_PREFIX)) {
      const { group, member } = parseMemberKey(key);
      written = await writer.removeMember(group, member, version);
    }
    if (written) counts.deleted++;
    else counts.skippedAsNewer++;
  }
  return counts;
}
