import type { Pool } from 'pg';
import {
  isElasticsearchSink,
  isRedisCacheSink,
  sinkKind,
  type DistributaryConfig,
  type SinkConfig,
} from '@distributary/config';
import { LogKeys, type RedisClient } from '@distributary/changelog';
import { formatLsn, type Lsn } from '@distributary/core';
import { redactSecrets } from '@distributary/observability';
import { compareSides, type ComparisonReport, type Difference } from './compare';
import { quoteTable } from './oracle/contract-sql';
import { displayable } from './oracle/lossless-json';
import { createTextPool } from './oracle/raw-pool';
import { SnapshotSlot, SourceSnapshot } from './oracle/source-snapshot';
import { elasticsearchSides } from './sides/elasticsearch-sides';
import type { SinkSides } from './sides/keyed-side';
import { redisCacheSides } from './sides/redis-cache-sides';
import { sampleFor, type KeySample } from './sides/sampling';
import { viewSides } from './sides/view-sides';
import { slotConfirmedLsn, waitForSink, type SinkProgress } from './sink-progress';
import { emitSyncMessage } from './sync-point';

export type VerifyMode = 'full' | 'sample';
export type VerifyStatus = 'clean' | 'different' | 'behind' | 'error';

export interface VerifyOptions {
  mode?: VerifyMode;
  sampleSize?: number;
  /** How long to wait for the sink to pass the verification LSN. */
  timeoutMs?: number;
  /** Examples kept per kind of difference in the result. */
  examples?: number;
}

export interface VerifyDeps {
  /** The log Redis (positions, connector state). */
  redis: RedisClient;
  /** A cache client to use instead of connecting to the sink's own Redis (tests, shared connections). */
  cacheClient?: RedisClient;
}

export interface VerifyResult {
  sink: string;
  kind: string;
  status: VerifyStatus;
  mode: VerifyMode;
  /** The source LSN the result holds at (the second pass's when there were two). */
  lsn: string;
  verifiedAt: string;
  durationMs: number;
  expectedCount: number;
  actualCount: number;
  missingCount: number;
  extraCount: number;
  differentCount: number;
  /** Missing keys that are a valid state of the target (expired cache values) — not differences. */
  ignoredMissingCount: number;
  missing: Difference[];
  extra: Difference[];
  different: Difference[];
  passes: number;
  /** Set when status is `behind`: where the sink stands. */
  progress?: SinkProgress;
  error?: string;
}

/** A verification result with every differing key (for repair), not just the examples. */
export interface DetailedVerification {
  result: VerifyResult;
  lsn: Lsn;
  missing: Difference[];
  extra: Difference[];
  different: Difference[];
  sourceKeyOf: (key: string) => import('@distributary/core').Row | undefined;
  sides: SinkSides;
}

export interface SourceHandle {
  /** Source connections (positions, counts, sync messages); expected values come from `snapshot`. */
  pool: Pool;
  url: string;
  /** The REPEATABLE READ snapshot of the pass in progress. */
  snapshot: SnapshotSlot;
  close(): Promise<void>;
}

export function openSource(config: DistributaryConfig): SourceHandle {
  const url = config.source.postgres.url;
  const pool = createTextPool(url, { max: 4 });
  return { pool, url, snapshot: new SnapshotSlot(), close: () => pool.end() };
}

async function sourceCount(source: SourceHandle, sink: SinkConfig): Promise<number> {
  const from = isElasticsearchSink(sink) || isRedisCacheSink(sink) ? quoteTable(sink.from) : `(${sink.sql}) AS v`;
  const { rows } = await source.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${from}`);
  return Number(rows[0].n);
}

export async function buildSides(
  sink: SinkConfig,
  source: SourceHandle,
  sample: KeySample | undefined,
  deps: Pick<VerifyDeps, 'cacheClient'> = {},
): Promise<SinkSides> {
  if (isElasticsearchSink(sink)) return elasticsearchSides(sink, source, sample);
  if (isRedisCacheSink(sink)) return redisCacheSides(sink, source, sample, { client: deps.cacheClient });
  return viewSides(sink, source, sample);
}

const ALL = 1_000_000_000;

function keysOf(report: ComparisonReport): Map<string, 'missing' | 'extra' | 'different'> {
  const kinds = new Map<string, 'missing' | 'extra' | 'different'>();
  for (const d of report.missing) kinds.set(d.key, 'missing');
  for (const d of report.extra) kinds.set(d.key, 'extra');
  for (const d of report.different) kinds.set(d.key, 'different');
  return kinds;
}

/** The counts and example lists of a result that compared nothing (behind, or an error). */
function nothingCompared(): Pick<
  VerifyResult,
  | 'expectedCount'
  | 'actualCount'
  | 'missingCount'
  | 'extraCount'
  | 'differentCount'
  | 'ignoredMissingCount'
  | 'missing'
  | 'extra'
  | 'different'
> {
  return {
    expectedCount: 0,
    actualCount: 0,
    missingCount: 0,
    extraCount: 0,
    differentCount: 0,
    ignoredMissingCount: 0,
    missing: [],
    extra: [],
    different: [],
  };
}

/** The report with `f` applied to each of its three difference lists. */
function eachList(report: ComparisonReport, f: (list: Difference[]) => Difference[]): ComparisonReport {
  return { ...report, missing: f(report.missing), extra: f(report.extra), different: f(report.different) };
}

/** verifySink with every differing key kept (repair needs them); the caller closes `sides`. */
export async function verifySinkDetailed(
  config: DistributaryConfig,
  sink: SinkConfig,
  deps: VerifyDeps,
  options: VerifyOptions = {},
  source: SourceHandle = openSource(config),
): Promise<DetailedVerification> {
  const started = Date.now();
  const mode = options.mode ?? 'full';
  const keys = new LogKeys(config.log.namespace);
  const confirmed = slotConfirmedLsn(source.pool, config.source.postgres.slot);
  const wait = async (lsn: Lsn) =>
    waitForSink(deps.redis, keys, sink.name, config.log.partitions, lsn, {
      timeoutMs: options.timeoutMs ?? 60_000,
      sourceConfirmed: confirmed,
    });
  const sample = mode === 'sample' ? sampleFor(await sourceCount(source, sink), options.sampleSize ?? 1000) : undefined;
  const sides = await buildSides(sink, source, sample, deps);
  const base = { sink: sink.name, kind: sinkKind(sink), mode, ...nothingCompared() };
  const finish = (result: Omit<VerifyResult, 'verifiedAt' | 'durationMs'>): VerifyResult => ({
    ...result,
    verifiedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
  });

  /** One pass: a snapshot at L, the sink waited for up to L, both sides compared. */
  const pass = async (): Promise<{ lsn: Lsn; progress: SinkProgress; report?: ComparisonReport }> => {
    const snapshot = await SourceSnapshot.open(source.url);
    try {
      await emitSyncMessage(source.pool);
      const progress = await wait(snapshot.lsn);
      if (progress.timedOut) return { lsn: snapshot.lsn, progress };
      source.snapshot.set(snapshot);
      const report = await compareSides(sides.expected, sides.actual, { examples: ALL, equal: sides.equal });
      return { lsn: snapshot.lsn, progress, report };
    } finally {
      source.snapshot.set(undefined);
      await snapshot.end();
    }
  };

  try {
    const first = await pass();
    let lsn = first.lsn;
    if (!first.report) {
      const result = finish({ ...base, status: 'behind', lsn: formatLsn(lsn), passes: 0, progress: first.progress });
      return { result, lsn, missing: [], extra: [], different: [], sourceKeyOf: sides.sourceKeyOf, sides };
    }
    let report = first.report;
    let passes = 1;
    const ignored = (d: Difference): boolean => sides.ignoreMissing?.(d.key) ?? false;
    const differs = (r: ComparisonReport): boolean =>
      r.missing.some((d) => !ignored(d)) || r.extra.length > 0 || r.different.length > 0;
    if (differs(report)) {
      const firstKeys = keysOf(report);
      const second = await pass();
      if (second.report) {
        lsn = second.lsn;
        passes = 2;
        report = eachList(second.report, (list) => list.filter((d) => firstKeys.has(d.key)));
      }
    }
    const shown = (list: Difference[]): Difference[] =>
      list.map((d) => ({
        key: d.key,
        ...('expected' in d ? { expected: displayable(d.expected) } : {}),
        ...('actual' in d ? { actual: displayable(d.actual) } : {}),
      }));
    report = eachList(report, shown);
    const missing = report.missing.filter((d) => !ignored(d));
    const examples = options.examples ?? 10;
    const status: VerifyStatus =
      missing.length + report.extra.length + report.different.length > 0 ? 'different' : 'clean';
    const result = finish({
      ...base,
      status,
      lsn: formatLsn(lsn),
      passes,
      expectedCount: report.expectedCount,
      actualCount: report.actualCount,
      missingCount: missing.length,
      extraCount: report.extra.length,
      differentCount: report.different.length,
      ignoredMissingCount: report.missing.length - missing.length,
      missing: missing.slice(0, examples),
      extra: report.extra.slice(0, examples),
      different: report.different.slice(0, examples),
    });
    return {
      result,
      lsn,
      missing,
      extra: report.extra,
      different: report.different,
      sourceKeyOf: sides.sourceKeyOf,
      sides,
    };
  } catch (error) {
    await sides.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Verifies one sink against the source at a source snapshot LSN.
 *
 * 1. Open a REPEATABLE READ snapshot of the source; L = pg_current_wal_lsn() read by its first
 *    statement (plus a sync message so a quiet connector confirms past it). Every expected value of
 *    the pass is read in that snapshot, rendered by PostgreSQL per the type contract (oracle/), never
 *    by the pipeline's decoder: verify is an independent oracle, sharing only the sink's documented
 *    mapping (document builder, cache model) applied to PostgreSQL's values.
 * 2. Wait until the sink has applied everything below L (waitForSink: connector confirmed ≥ L and no
 *    partition holds an unapplied entry below L). A sink that does not get there in time is reported
 *    `behind`, never compared (a lagging sink is not a broken one).
 * 3. Read both sides (bucketed digests, drill-down into differing buckets only) and compare.
 *
 * Races with concurrent writes: the target is live, so a row written to the source after L may
 * already be in the target but not in the snapshot, and shows up as a difference that is only a
 * matter of time. Therefore, when the
 * first pass finds differences, verification takes a second point L2, waits for the sink to pass L2,
 * compares again, and reports only keys that differ in BOTH passes (with the second pass's values).
 * A key that is rewritten continuously during both passes can still be reported; a repair of such a
 * key is harmless (re-emitting a row, or a delete versioned below anything newer).
 */
export async function verifySink(
  config: DistributaryConfig,
  sink: SinkConfig,
  deps: VerifyDeps,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const source = openSource(config);
  try {
    const detailed = await verifySinkDetailed(config, sink, deps, options, source);
    await detailed.sides.close();
    return detailed.result;
  } catch (error) {
    return errorResult(sink, options, error);
  } finally {
    await source.close();
  }
}

/** A verification that could not run (source, log or target unreachable, bad SQL…): status `error`. */
export function errorResult(sink: SinkConfig, options: VerifyOptions, error: unknown): VerifyResult {
  return {
    sink: sink.name,
    kind: sinkKind(sink),
    status: 'error',
    mode: options.mode ?? 'full',
    lsn: '',
    verifiedAt: new Date().toISOString(),
    durationMs: 0,
    ...nothingCompared(),
    passes: 0,
    error: redactSecrets(error instanceof Error ? error.message : String(error)),
  };
}

export function isDifferent(result: VerifyResult): boolean {
  return result.status !== 'clean';
}
