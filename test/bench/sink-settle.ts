import type { LogKeys, RedisClient } from '@distributary/changelog';
import { waitFor } from '@distributary/testkit';
import { partitionEnds, sinkAtEnds } from '../harness/sink-progress';

/**
 * Waits until sink `sink` has applied its partitions up to `ends` (default: their ends now), checking
 * on every poll that each of `processes` is still alive (a dead one fails the wait at once).
 */
export async function waitSinkAtEnds(
  pipeline: { redis: RedisClient; keys: LogKeys },
  sink: string,
  partitions: number,
  processes: { assertAlive(): void }[],
  options: { what: string; timeoutMs: number; intervalMs: number; ends?: Map<number, string> },
): Promise<void> {
  const ends = options.ends ?? (await partitionEnds(pipeline.redis, pipeline.keys, partitions));
  await waitFor(
    options.what,
    async () => {
      for (const process of processes) process.assertAlive();
      return sinkAtEnds(pipeline.redis, pipeline.keys, sink, partitions, ends);
    },
    { timeoutMs: options.timeoutMs, intervalMs: options.intervalMs },
  );
}
