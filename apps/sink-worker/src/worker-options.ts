import type { Sink } from '@distributary/core';
import type { DistributaryConfig, SinkConfig } from '@distributary/config';
import { connectRedis, type RetentionPolicy } from '@distributary/changelog';
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
  return {
    redis: connectRedis(log.redis),
    namespace: log.namespace,
    partitions: log.partitions,
    sinks: () =>
      Promise.all(
        config.sinks.map((sink) => createSink(sink, { sourceUrl: config.source.postgres.url, logger: overrides.logger })),
      ),
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
