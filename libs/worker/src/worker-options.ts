import type { Sink } from '@distributary/core';
import type { DistributaryConfig, SinkConfig } from '@distributary/config';
import { LogKeys, connectRedis, type RetentionPolicy } from '@distributary/changelog';
import { rebuildOnOpen } from './rebuild-on-open';
import type { SinkRunnerOptions } from './sink-runner';
import type { SinkContext } from './create-sink';

/** Builds one Sink from its configuration (wired by the lead from the sink libs). */
export type SinkFactory = (config: SinkConfig, context: SinkContext) => Sink | Promise<Sink>;

export interface SinkWorkerOptions extends SinkRunnerOptions {
  /** Run the log's compaction / retention job in this worker (BullMQ, repeatable + on demand). */
  maintenance?: { policy: RetentionPolicy; everyMs: number };
}

/** Everything the worker needs, from the one YAML configuration and a sink factory. */
export function sinkWorkerOptionsFromConfig(
  config: DistributaryConfig,
  createSink: SinkFactory,
  overrides: Partial<SinkWorkerOptions> = {},
): SinkWorkerOptions {
  const { log } = config;
  const redis = connectRedis(log.redis);
  const keys = new LogKeys(log.namespace);
  return {
    redis,
    namespace: log.namespace,
    partitions: log.partitions,
    sinks: () =>
      Promise.all(
        config.sinks.map(async (sink) =>
          rebuildOnOpen(
            await createSink(sink, {
              sourceUrl: config.source.postgres.url,
              logger: overrides.logger,
              log: { redis, keys, partitions: log.partitions },
              owner: overrides.workerId,
            }),
            { redis, keys, partitions: log.partitions },
            overrides.logger,
          ),
        ),
      ),
    degradedAfterMs: degradedAfterFromEnv() ?? config.workers.degradedAfter,
    maintenance: {
      policy: {
        mode: log.retention.mode,
        tombstones: log.retention.tombstones,
        minLag: log.retention.minLag,
        maxAge: log.retention.maxAge,
      },
      everyMs: log.retention.every,
    },
    ...overrides,
  };
}

/**
 * The degraded bound from the environment (a partition retrying longer is degraded in status, health and
 * metrics): DISTRIBUTARY_DEGRADED_AFTER_MS overrides the YAML key `workers.degradedAfter` (default 60s).
 */
export function degradedAfterFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.DISTRIBUTARY_DEGRADED_AFTER_MS;
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`DISTRIBUTARY_DEGRADED_AFTER_MS=${raw}: expected a whole number of milliseconds (at least 1)`);
  return value;
}
