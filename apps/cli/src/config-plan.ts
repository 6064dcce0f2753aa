/**
 * What a start with this configuration means for each sink, from the fingerprints the previous run
 * stored: bootstrap (new), rebuild (shape changed), nothing (connection only / unchanged), drop (removed).
 * A fingerprint is only recorded once nothing is pending for that sink, so a rebuild or drop that was
 * not carried out is announced again on the next start instead of being forgotten.
 */
import type { LogKeys, RedisClient } from '@distributary/changelog';
import { diffSinks, sinkFingerprints, type DistributaryConfig, type SinkDiff } from '@distributary/config';
import { readSinkFingerprints, writeSinkFingerprints } from './fingerprint-store';

export async function planSinkChanges(
  redis: RedisClient,
  keys: LogKeys,
  config: DistributaryConfig,
): Promise<SinkDiff> {
  return diffSinks(await readSinkFingerprints(redis, keys), config.sinks);
}

/** Records the fingerprints of sinks that need nothing further (new sinks bootstrap from the log). */
export async function recordSettledSinks(
  redis: RedisClient,
  keys: LogKeys,
  config: DistributaryConfig,
  diff: SinkDiff,
): Promise<void> {
  const settled = new Set([
    ...diff.unchanged,
    ...diff.added.map((c) => c.name),
    ...diff.changed.filter((c) => c.action === 'none').map((c) => c.name),
  ]);
  const all = sinkFingerprints(config.sinks);
  await writeSinkFingerprints(redis, keys, Object.fromEntries(Object.entries(all).filter(([n]) => settled.has(n))));
}

export function describePlan(diff: SinkDiff): string[] {
  const lines: string[] = [];
  for (const c of diff.added) lines.push(`  + ${c.name}: new sink -> bootstrap`);
  for (const c of diff.changed) {
    lines.push(
      `  ~ ${c.name}: ${c.changed.join(' and ')} changed -> ${c.action === 'none' ? 'reconnect only' : c.action}`,
    );
  }
  for (const c of diff.removed) lines.push(`  - ${c.name}: removed from the configuration -> drop`);
  for (const name of diff.unchanged) lines.push(`  = ${name}: unchanged`);
  return lines.length ? lines : ['  (no sinks)'];
}
