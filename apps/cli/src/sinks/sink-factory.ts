/**
 * Sink config → an opened Sink, for commands that apply events themselves (dlq replay). Uses the
 * sink worker's wiring (libs/worker/src/create-sink.ts), so sink kinds are wired in one place.
 */
import type { DistributaryConfig, SinkConfig } from '@distributary/config';
import type { Sink } from '@distributary/core';
import { createLogger } from '@distributary/observability';
import { createSink } from '@distributary/worker';

export async function createSinkFor(config: DistributaryConfig, sinkConfig: SinkConfig): Promise<Sink> {
  const sink = await createSink(sinkConfig, {
    sourceUrl: config.source.postgres.url,
    logger: createLogger(`sink:${sinkConfig.name}`),
    pipeline: config.log.namespace,
  });
  await sink.open();
  return sink;
}
