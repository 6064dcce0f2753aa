import type { Pool } from 'pg';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import type { DistributaryConfig } from '@distributary/config';
import { gauge, type HealthCheck, type HealthCheckOptions } from '@distributary/observability';
import { readSlotHealthState } from '@distributary/control';
import { readSlotHealth, sourceLag, type SourceLag } from '@distributary/pg-catalog';
import type { SinkState, SourceStatus } from '@distributary/admin-contract';

/*
 * The slot and lag parts of the admin API: the slot's health and the re-sync episode on the source
 * status, every sink's lag against the source (pg_current_wal_lsn(), libs/postgres/catalog source-lag.ts —
 * the same function `distributary status` uses), the matching Prometheus gauges, and readiness.
 */
const metrics = {
  bytes: gauge('distributary_sink_source_lag_bytes', 'pg_current_wal_lsn() minus what the sink has applied', ['sink']),
  seconds: gauge(
    'distributary_sink_source_lag_seconds',
    'Seconds the sink is behind the source (commit times and confirmed heartbeats); -1 when unknown',
    ['sink'],
  ),
  caughtUp: gauge(
    'distributary_sink_caught_up',
    '1 only when the sink has applied everything the source committed (the slot streams, nothing unapplied)',
    ['sink'],
  ),
};

export async function readSlotExtras(
  pool: Pool,
  redis: RedisClient,
  keys: LogKeys,
  slot: string,
  warnAt: number,
): Promise<Pick<SourceStatus, 'health' | 'resync' | 'throughTs'>> {
  const [health, state] = await Promise.all([readSlotHealth(pool, slot, warnAt), readSlotHealthState(redis, keys)]);
  return { health, resync: state.resync, throughTs: state.throughTs };
}

/** Why a read-your-writes wait cannot succeed soon, when the slot is the reason (else undefined). */
export async function slotWaitReason(
  pool: Pool,
  redis: RedisClient,
  keys: LogKeys,
  config: DistributaryConfig,
): Promise<string | undefined> {
  const { health, resync } = await readSlotExtras(
    pool,
    redis,
    keys,
    config.source.postgres.slot,
    config.source.slotWarnAt,
  );
  if (resync?.state === 'running')
    return `re-syncing after the replication slot was ${resync.problem}: ${resync.rowsDone ?? 0}/${resync.estimatedTotal ?? '?'} rows re-read`;
  if (resync?.state === 'stopped') return `${resync.reason}; the pipeline is stopped until \`distributary resync\``;
  if (health?.state === 'lost' || health?.state === 'missing') return health.reason;
  if (health && !health.active) return 'nothing is reading the replication slot (is the connector running?)';
  return undefined;
}

const UNREACHABLE: SourceLag = {
  appliedLsn: '',
  sourceLsn: '',
  bytes: '0',
  seconds: null,
  caughtUp: false,
  why: 'the source cannot be reached: lag unknown',
};

/** Sets `sourceLag` on every sink (never caught up when the source cannot be read) and the gauges. */
export async function attachSourceLag(
  sinks: SinkState[],
  readSource: () => Promise<SourceStatus>,
  config: DistributaryConfig,
): Promise<SinkState[]> {
  const source = await readSource().catch(() => null);
  const resolutionMs = config.source.postgres.heartbeat + config.source.connector.statusEvery;
  for (const sink of sinks) {
    sink.sourceLag = source?.health
      ? sourceLag({
          sourceLsn: source.currentLsn,
          connectorConfirmedLsn: source.connector.state.confirmedLsn,
          throughTs: source.throughTs,
          connectorUpdatedAt: source.connector.state.updatedAt,
          slot: source.health,
          partitions: sink.partitions.map((p) => ({
            committedId: p.committedId,
            unapplied: p.lagEntries,
            oldestUnappliedSeconds: p.lagSeconds,
          })),
          resolutionMs,
        })
      : UNREACHABLE;
    metrics.bytes.set({ sink: sink.name }, Number(sink.sourceLag.bytes));
    metrics.seconds.set({ sink: sink.name }, sink.sourceLag.seconds ?? -1);
    metrics.caughtUp.set({ sink: sink.name }, sink.sourceLag.caughtUp ? 1 : 0);
  }
  return sinks;
}

/**
 * /health/ready: the slot is a real dependency. Lost, missing or re-syncing → failing (503) with the
 * reason and what happens next; past the early-warning threshold → degraded (200 with the reason).
 */
export function slotHealthChecks(
  suffix: string,
  readSource: () => Promise<SourceStatus>,
): [string, HealthCheck, HealthCheckOptions][] {
  const read = async (): Promise<SourceStatus> => {
    const source = await readSource();
    if (!source.health) throw new Error('slot health unknown');
    return source;
  };
  return [
    [
      `replication-slot:${suffix}`,
      async () => {
        const { health, resync } = await read();
        if (resync?.state === 'running')
          throw new Error(
            `re-syncing after the slot was ${resync.problem} (${resync.reason}): ${resync.rowsDone ?? 0}/${resync.estimatedTotal ?? '?'} rows re-read; sinks are not current`,
          );
        if (resync?.state === 'stopped')
          throw new Error(`${resync.reason}; the pipeline is stopped (onSlotLost: stop): run \`distributary resync\``);
        if (health?.state === 'lost')
          throw new Error(
            `${health.reason ?? 'slot lost'}; the connector re-syncs when it starts (onSlotLost: resync)`,
          );
        if (health?.state === 'missing') throw new Error(health.reason ?? 'slot missing');
      },
      {},
    ],
    [
      `replication-slot-wal:${suffix}`,
      async () => {
        const { health } = await read();
        if (health?.state === 'warning') throw new Error(health.reason ?? 'slot warning');
      },
      { degradesOnly: true },
    ],
  ];
}
