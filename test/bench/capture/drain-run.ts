/**
 * One measured drain for figure 1: a fresh database and pipeline, N × M rows written into the slot
 * while the connector is stopped (and into an identical twin slot for pg_recvlogical), then one
 * `distributary run --only connector` process drains it. Sampled every ~10 ms: the log's length (for
 * rates between shares of the drain), the connector's CPU time, its peak RSS, and the slot's
 * confirmed_flush_lsn (the end: everything confirmed).
 */
import { Client } from 'pg';
import { clusterNodes, createTestDatabase, uniqueName, waitFor } from '@distributary/testkit';
import { Pipeline } from '../../harness/pipeline';
import { logEntries } from '../../harness/sink-progress';
import { createDocsSql, DOCS_TABLE, fillDocs } from '../source-table';
import { readEntries, recvlogicalSeconds, xaddCeiling } from './ceilings';
import { benchConnectorEntry } from './connector-entry';
import { cpuMicros, rateBetween } from './proc-stats';

export interface DrainRun {
  events: number;
  /** From process start to the first event in the log (s). */
  firstEventSeconds: number;
  /** From process start to the last LSN confirmed (s). */
  totalSeconds: number;
  /** Events/s from 10 % to 90 % of the drain. */
  steadyRate: number;
  /** Events/s from 50 % to 95 %. */
  lateRate: number;
  /** Connector CPU per event over the drain only (first event in the log → last LSN confirmed), µs. */
  cpuMicrosPerEvent: number;
  /** Connector CPU per event over its whole life (process start → last LSN confirmed: start-up included), µs. */
  cpuMicrosPerEventTotal: number;
  /** Connector CPU from process start to the first event in the log (module loading, connecting, …), ms. */
  startupCpuMillis: number;
  peakRssBytes: number;
  /** Raw pipelined XADD of the same entries, events/s. */
  xaddCeiling: number;
  /** pg_recvlogical draining the twin slot to /dev/null, events/s (undefined when not measured). */
  recvlogicalRate?: number;
}

export interface DrainOptions {
  redisUrl: string;
  cluster: boolean;
  transactions: number;
  rowsPerTransaction: number;
  partitions: number;
  batchSize: number;
  /** Also drain a twin slot with pg_recvlogical. */
  recvlogical: boolean;
  /** Also measure the raw XADD ceiling on the same entries (default true). */
  ceiling?: boolean;
}

export async function drainOnce(options: DrainOptions): Promise<DrainRun> {
  const db = await createTestDatabase('bench_cap');
  await db.sql(createDocsSql);
  const name = uniqueName(options.cluster ? 'bench-capc' : 'bench-cap').replace(/_/g, '-');
  const pipeline = new Pipeline({
    name,
    sourceUrl: db.url,
    tables: [DOCS_TABLE],
    logRedisUrl: options.redisUrl,
    logCluster: options.cluster ? clusterNodes().map((n) => `redis://${n.host}:${n.port}`) : undefined,
    partitions: options.partitions,
    snapshot: 'never',
    sinks: [],
    batchSize: options.batchSize,
  });
  const client = new Client({ connectionString: db.url });
  await client.connect();
  const twin = `${pipeline.slotName}_twin`;
  try {
    const { entryArgs } = benchConnectorEntry();
    const first = pipeline.start('connector', { entryArgs });
    await pipeline.waitForSlot(first);
    await first.stop();
    if (options.recvlogical) await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [twin]);
    const rows = await fillDocs(db.url, options.transactions, options.rowsPerTransaction);
    const { rows: lsnRows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const target = lsnRows[0].lsn;

    const startedAt = performance.now();
    const connector = pipeline.start('connector', { entryArgs });
    const timeline: [number, number][] = [];
    let firstEventAt = 0;
    let cpuAtFirst = 0;
    let doneAt = 0;
    let peakRss = 0;
    await waitFor(
      'the connector to confirm the last LSN',
      async () => {
        connector.assertAlive();
        const count = await logEntries(pipeline.redis, pipeline.keys, options.partitions);
        const now = performance.now();
        timeline.push([now, count]);
        if (!firstEventAt && count > 0) {
          firstEventAt = now;
          cpuAtFirst = cpuMicros(connector.pid) ?? 0;
        }
        peakRss = Math.max(peakRss, connector.peakRss() ?? 0);
        if (count < rows) return false;
        const { rows: slotRows } = await client.query<{ ok: boolean }>(
          `SELECT confirmed_flush_lsn >= $2::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = $1`,
          [pipeline.slotName, target],
        );
        if (!slotRows[0]?.ok) return false;
        doneAt = performance.now();
        return true;
      },
      { timeoutMs: 900_000, intervalMs: 10 },
    );
    const cpuAtEnd = cpuMicros(connector.pid) ?? cpuAtFirst;
    peakRss = Math.max(peakRss, connector.peakRss() ?? 0);
    await connector.stop();
    const events = await logEntries(pipeline.redis, pipeline.keys, options.partitions);

    let ceiling = Number.NaN;
    if (options.ceiling !== false) {
      const streams = Array.from({ length: options.partitions }, (_, p) => pipeline.keys.partition(p));
      const entries = await readEntries(pipeline.redis, streams);
      ceiling = await xaddCeiling(pipeline.redis, entries, (stream) => stream.replace(/:log$/, ':ceiling'));
      entries.clear();
    }

    let recvlogicalRate: number | undefined;
    if (options.recvlogical) {
      // A record of this database past the target, so pg_recvlogical reaches --endpos at once.
      await client.query(`SELECT pg_logical_emit_message(false, 'bench', 'end')`);
      const seconds = await recvlogicalSeconds(db.url, twin, pipeline.slotName, target);
      recvlogicalRate = Math.round(rows / seconds);
    }
    const drainEvents = events;
    return {
      events,
      firstEventSeconds: (firstEventAt - startedAt) / 1000,
      totalSeconds: (doneAt - startedAt) / 1000,
      steadyRate: rateBetween(timeline, drainEvents, 0.1, 0.9),
      lateRate: rateBetween(timeline, drainEvents, 0.5, 0.95),
      cpuMicrosPerEvent: (cpuAtEnd - cpuAtFirst) / Math.max(1, drainEvents),
      cpuMicrosPerEventTotal: cpuAtEnd / Math.max(1, drainEvents),
      startupCpuMillis: cpuAtFirst / 1000,
      peakRssBytes: peakRss,
      xaddCeiling: ceiling,
      recvlogicalRate,
    };
  } finally {
    await client
      .query(
        `SELECT pg_drop_replication_slot($1) WHERE EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`,
        [twin],
      )
      .catch(() => undefined);
    await client.end();
    await pipeline.destroy();
    await db.drop();
  }
}
