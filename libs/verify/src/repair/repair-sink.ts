import {
  isElasticsearchSink,
  isRedisCacheSink,
  type DistributaryConfig,
  type MaterializedViewSinkConfig,
  type SinkConfig,
} from '@distributary/config';
import { createMaterializedViewSink } from '@distributary/sink-materialized-view';
import { slotConfirmedLsn, waitForSink } from '../sink-progress';
import { syncPoint } from '../sync-point';
import { LogKeys } from '@distributary/changelog';
import { canonicalKey, type Row } from '@distributary/core';
import type { Difference } from '../compare';
import { groupKey, type ViewShape } from '../sides/view-sides';
import {
  openSource,
  verifySinkDetailed,
  type DetailedVerification,
  type SourceHandle,
  type VerifyDeps,
  type VerifyOptions,
  type VerifyResult,
} from '../verify-sink';
import {
  applyThroughSink,
  deleteExtraCacheKeys,
  deleteExtraDocuments,
  emptyCounts,
  readSourceRows,
  sinkFor,
  syntheticReads,
  type DirectRepairCounts,
} from './direct-repair';
import { snapshotAndWait } from './snapshot-repair';
import { groupWhere, rewriteViewRows } from './view-repair';
import { viewStateKey } from '@distributary/sink-materialized-view';

/**
 * Repair = make the differing keys flow through the pipeline again, then verify again.
 * - Missing / different keys: a targeted incremental snapshot of their source rows (requestSnapshot;
 *   for views, of the fact rows of the differing groups). The connector appends them to the log at a
 *   fresh position and every sink of the table rewrites them with its own code. If no connector picks
 *   the snapshot up in time, Elasticsearch and Redis fall back to applying the re-read rows through the
 *   sink's own apply() at version L - 1 (see direct-repair.ts for why that is safe) and views rewrite
 *   the damaged rows under the sink's position lock (view-repair.ts).
 * - Extra keys (source row gone): a snapshot finds nothing, so nothing in the log would ever remove
 *   them. They are deleted directly in the target with a version guard at L - 1, rather than by
 *   appending a 'd' event: the log's entry IDs are commit LSNs owned by the connector, and an entry
 *   appended by anyone else at a "fresh" ID could make Redis refuse a later connector append of an
 *   older-LSN transaction that was still in flight — losing it. A guarded delete in the target never
 *   touches the log and can never hide a newer change.
 */
/**
 * `pipeline`: the pipeline the sinks belong to (their ownership markers and state keys), when it is not
 * `config.log.namespace` — e.g. the pipeline seen through a log namespace no connector serves.
 */
export type RepairDeps = VerifyDeps & { pipeline?: string };

function pipelineOf(config: DistributaryConfig, deps: RepairDeps): string {
  return deps.pipeline ?? config.log.namespace;
}

export interface RepairReport {
  sink: string;
  snapshots: { id: string; table: string; status: string }[];
  viaSnapshot: number;
  fallback: boolean;
  rewritten: number;
  deleted: number;
  skippedAsNewer: number;
  rejected: string[];
  notes: string[];
}

export interface RepairOptions extends VerifyOptions {
  /** How long a repair snapshot may stay queued before the direct fallback is used. */
  pickupMs?: number;
}

function merge(into: DirectRepairCounts, more: DirectRepairCounts): void {
  into.rewritten += more.rewritten;
  into.deleted += more.deleted;
  into.skippedAsNewer += more.skippedAsNewer;
  into.rejected.push(...more.rejected);
}

function uniqueRows(rows: (Row | undefined)[]): Row[] {
  const seen = new Map<string, Row>();
  for (const row of rows) if (row) seen.set(canonicalKey('', row), row);
  return [...seen.values()];
}

export async function repairSink(
  config: DistributaryConfig,
  sink: SinkConfig,
  deps: RepairDeps,
  verification: DetailedVerification,
  source: SourceHandle,
  options: RepairOptions = {},
): Promise<RepairReport> {
  const keys = new LogKeys(config.log.namespace);
  const reason = `verify repair of sink ${sink.name}`;
  const counts = emptyCounts();
  const report: RepairReport = {
    sink: sink.name,
    snapshots: [],
    viaSnapshot: 0,
    fallback: false,
    rewritten: 0,
    deleted: 0,
    skippedAsNewer: 0,
    rejected: [],
    notes: [],
  };
  const stale: Difference[] = [...verification.missing, ...verification.different];
  const { sides, lsn } = verification;

  if (isElasticsearchSink(sink) || isRedisCacheSink(sink)) {
    const rowKeys = uniqueRows(stale.map((d) => verification.sourceKeyOf(d.key)));
    if (rowKeys.length > 0) {
      const requests = [];
      for (let i = 0; i < rowKeys.length; i += 500)
        requests.push({ table: sides.table, keys: rowKeys.slice(i, i + 500) });
      const outcome = await snapshotAndWait(deps.redis, keys, requests, reason, { pickupMs: options.pickupMs });
      report.snapshots = [...outcome.done, ...outcome.notPickedUp, ...outcome.failed].map((r) => ({
        id: r.id,
        table: r.table,
        status: r.status,
      }));
      report.viaSnapshot = outcome.done.reduce((n, r) => n + (r.keys?.length ?? 0), 0);
      const leftOver = [...outcome.notPickedUp, ...outcome.failed].flatMap((r) => r.keys ?? []);
      if (leftOver.length > 0) {
        report.fallback = true;
        report.notes.push(
          `${leftOver.length} key(s) not re-emitted by a snapshot (no connector ran it): applied through the sink's own code at ${lsn - 1n}`,
        );
        const { rows, keyColumns } = await readSourceRows(source, sides.table, leftOver);
        const events = syntheticReads(sides.table, rows, keyColumns, lsn - 1n);
        const pipeline = pipelineOf(config, deps);
        merge(counts, await applyThroughSink(sinkFor(sink, source, deps.cacheClient, pipeline), events));
      }
    }
    const extras = verification.extra.map((d) => d.key);
    if (extras.length > 0) {
      if (isElasticsearchSink(sink)) {
        const client = (sides as unknown as { client: import('@elastic/elasticsearch').Client }).client;
        merge(counts, await deleteExtraDocuments(client, sink.elasticsearch.index, extras, lsn));
      } else {
        const client = (sides as unknown as { client: import('@distributary/changelog').RedisClient }).client;
        merge(counts, await deleteExtraCacheKeys(client, sink, extras, lsn));
      }
    }
  } else {
    const view = sides as unknown as {
      definition: import('@distributary/sink-materialized-view').ViewDefinition;
      viewPool: import('pg').Pool;
      shape: ViewShape;
    };
    const groupsOf = (d: Difference) => JSON.parse(d.key) as (string | null)[];
    const wheres = stale.map((d) => groupWhere(view.definition, groupsOf(d)));
    if (stale.length > 0) {
      const where = wheres.some((w) => w === undefined) ? undefined : wheres.map((w) => `(${w})`).join(' OR ');
      const outcome = await snapshotAndWait(deps.redis, keys, [{ table: sides.table, where }], reason, {
        pickupMs: options.pickupMs,
      });
      report.snapshots = [...outcome.done, ...outcome.notPickedUp, ...outcome.failed].map((r) => ({
        id: r.id,
        table: r.table,
        status: r.status,
      }));
      report.viaSnapshot = outcome.done.length > 0 ? stale.length : 0;
      if (outcome.done.length === 0) report.fallback = true;
      else report.notes.push(await recomputeViewState(config, sink, deps, source, options));
    }
    const direct = [...(report.fallback ? stale : []), ...verification.extra].map((d) => d.key);
    if (direct.length > 0) {
      if (report.fallback) {
        // Nothing was re-emitted: the contributions are what the sink applied below L. Recompute the
        // group state from them (fixes damaged state), then rewrite any row still differing from the source.
        report.notes.push(await recomputeNow(sink, source, pipelineOf(config, deps)));
        report.notes.push('no connector ran the repair snapshot: view rows rewritten under the sink lock');
      }
      const expectedNow = async () => {
        const { rows } = await source.pool.query<Record<string, string | null>>(`SELECT * FROM (${sink.sql}) AS v`);
        return new Map(rows.map((r) => [groupKey(view.shape, r), r]));
      };
      const stateKey = viewStateKey(sink.name, pipelineOf(config, deps));
      merge(counts, await rewriteViewRows(sink, view.shape, view.viewPool, expectedNow, direct, stateKey));
    }
  }
  return { ...report, ...counts };
}

/**
 * After the sink applied the re-emitted fact rows (its mirrors and per-row contributions are then the
 * source's), the group state is recomputed from those contributions: that fixes state that was wrong
 * for any reason, so a repaired view converges for every group.
 */
async function recomputeViewState(
  config: DistributaryConfig,
  sink: MaterializedViewSinkConfig,
  deps: RepairDeps,
  source: SourceHandle,
  options: RepairOptions,
): Promise<string> {
  const progress = await waitForSink(
    deps.redis,
    new LogKeys(config.log.namespace),
    sink.name,
    config.log.partitions,
    await syncPoint(source.pool),
    {
      timeoutMs: options.timeoutMs ?? 60_000,
      sourceConfirmed: slotConfirmedLsn(source.pool, config.source.postgres.slot),
    },
  );
  if (progress.timedOut) return 'the sink did not apply the repair snapshot in time: group state not recomputed';
  return recomputeNow(sink, source, pipelineOf(config, deps));
}

async function recomputeNow(sink: MaterializedViewSinkConfig, source: SourceHandle, pipeline: string): Promise<string> {
  const view = await createMaterializedViewSink(sink, { sourceUrl: source.url, pipeline });
  try {
    await view.open();
    const { groups } = await view.recomputeState();
    return `group state recomputed from the per-row contributions (${groups} groups)`;
  } finally {
    await view.close();
  }
}

export interface VerifyAndRepairResult {
  before: VerifyResult;
  repair?: RepairReport;
  after?: VerifyResult;
}

/** Verify; when there are differences, repair them, wait until the sink has applied the repair, verify again. */
export async function verifyAndRepair(
  config: DistributaryConfig,
  sink: SinkConfig,
  deps: RepairDeps,
  options: RepairOptions = {},
): Promise<VerifyAndRepairResult> {
  const source = openSource(config);
  try {
    const first = await verifySinkDetailed(config, sink, deps, options, source);
    try {
      if (first.result.status !== 'different') return { before: first.result };
      const repair = await repairSink(config, sink, deps, first, source, options);
      const second = await verifySinkDetailed(config, sink, deps, options, source);
      await second.sides.close();
      return { before: first.result, repair, after: second.result };
    } finally {
      await first.sides.close();
    }
  } finally {
    await source.close();
  }
}
