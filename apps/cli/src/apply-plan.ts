/**
 * Carries out what a changed configuration needs before the worker starts:
 * - a Redis cache whose shape changed is replayed from the start of the log (its compare-and-set
 *   rewrites every key at the same versions); Elasticsearch sinks and views are rebuilt behind the
 *   serving index / table by the worker when it opens them (they detect the change themselves);
 * - a removed sink's log state is dropped (ChangeLog.positions.forget) — its committed positions and dead
 *   letters, its owner fenced out — so nothing waits for it any more. Its target data (index, keys,
 *   view table) is left in place for the operator to delete: Distributary never deletes a user's data
 *   on its own.
 */
import { sinkFingerprints, sinkKind, type DistributaryConfig, type SinkDiff } from '@distributary/config';
import { ChangeLog, type LogKeys, type RedisClient } from '@distributary/changelog';
import { deleteSinkFingerprints, writeSinkFingerprints } from './fingerprint-store';

export async function applySinkPlan(
  redis: RedisClient,
  keys: LogKeys,
  config: DistributaryConfig,
  diff: SinkDiff,
): Promise<string[]> {
  const lines: string[] = [];
  const log = new ChangeLog(redis, keys, config.log.partitions);
  const fingerprints = sinkFingerprints(config.sinks);
  for (const change of diff.changed.filter((c) => c.action === 'rebuild')) {
    const sink = config.sinks.find((s) => s.name === change.name);
    if (!sink) continue;
    if (sinkKind(sink) === 'redis') {
      await log.positions.replay(sink.name);
      lines.push(`  ${sink.name}: replaying the cache from the start of the log`);
    } else {
      lines.push(`  ${sink.name}: rebuilt from the compacted log behind the serving target, then swapped`);
    }
    await writeSinkFingerprints(redis, keys, { [sink.name]: fingerprints[sink.name] });
  }
  for (const removed of diff.removed) {
    await log.positions.forget(removed.name);
    await deleteSinkFingerprints(redis, keys, [removed.name]);
    lines.push(`  ${removed.name}: dropped its log positions and dead letters (its target data is left in place)`);
  }
  return lines;
}
