/**
 * New sinks bootstrap from the compacted log when it holds the full state of their tables (they read
 * every partition from the start); for any table it does not hold, an incremental snapshot is queued,
 * so the sink sees every row once the connector has run it.
 */
import type { LogKeys, RedisClient } from '@distributary/changelog';
import { tablesReadBy, type DistributaryConfig, type SinkDiff } from '@distributary/config';
import { requestSnapshot, tablesHeldByLog } from '@distributary/control';

export async function bootstrapNewSinks(
  redis: RedisClient,
  keys: LogKeys,
  config: DistributaryConfig,
  diff: SinkDiff,
): Promise<string[]> {
  if (diff.added.length === 0) return [];
  const held = await tablesHeldByLog(redis, keys, {
    tables: config.source.tables,
    initialSnapshot: config.source.postgres.snapshot === 'initial',
    timeRetention: config.log.retention.mode === 'time',
  });
  const lines: string[] = [];
  const requested = new Set<string>();
  for (const added of diff.added) {
    const sink = config.sinks.find((s) => s.name === added.name);
    if (!sink) continue;
    const tables = [...new Set(tablesReadBy(sink).map((t) => t.table))];
    const missing = tables.filter((t) => !held.has(t));
    if (missing.length === 0) {
      lines.push(`  ${sink.name}: bootstraps from the compacted log (${tables.join(', ')})`);
      continue;
    }
    for (const table of missing.filter((t) => !requested.has(t))) {
      const record = await requestSnapshot(redis, keys, { table, reason: `config: sink ${sink.name} added` });
      requested.add(table);
      lines.push(`  ${sink.name}: snapshot ${record.id} of ${table} queued (the log does not hold its full state)`);
    }
  }
  return lines;
}
