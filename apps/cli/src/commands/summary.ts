/** A short, human summary of a (redacted) configuration, as `validate` prints it. */
import { redactConfig, sinkKind, tablesReadBy, type DistributaryConfig, type SinkConfig } from '@distributary/config';

export function describeConfig(config: DistributaryConfig): string[] {
  const shown = redactConfig(config);
  const { postgres } = shown.source;
  const log = shown.log;
  const retention =
    log.retention.mode === 'compact'
      ? `compact (tombstones ${ms(log.retention.tombstones)}, minLag ${ms(log.retention.minLag)})`
      : `time (maxAge ${ms(log.retention.maxAge)})`;
  const lines = [
    `source: ${postgres.url}`,
    `        slot ${postgres.slot}, publication ${postgres.publication}, snapshot ${postgres.snapshot}`,
    `        ${shown.source.tables.length} tables: ${shown.source.tables.join(', ')}`,
    `log:    ${'url' in log.redis ? log.redis.url : `cluster ${log.redis.cluster.join(', ')}`}`,
    `        namespace ${log.namespace}, ${log.partitions} partitions, retention ${retention}`,
    `sinks:  ${shown.sinks.length}`,
    ...shown.sinks.map((sink) => `  - ${describeSink(sink)}`),
    `admin:  port ${shown.admin.port}, ${tokenSummary(config)}`,
  ];
  return lines;
}

export function describeSink(sink: SinkConfig): string {
  const kind = sinkKind(sink);
  const tables = [...new Set(tablesReadBy(sink).map((t) => t.table))].join(', ');
  let target = '';
  if ('elasticsearch' in sink) target = `index ${sink.elasticsearch.index} at ${sink.elasticsearch.url}`;
  else if ('redis' in sink) {
    target = `keys ${sink.key} at ${'url' in sink.redis ? sink.redis.url : `cluster ${sink.redis.cluster.join(', ')}`}`;
  } else if ('view' in sink) target = `table ${sink.view.table} at ${sink.view.postgres}`;
  return `${sink.name} (${kind}): ${tables} -> ${target}`;
}

function tokenSummary(config: DistributaryConfig): string {
  const tokens = config.admin.tokens;
  if (tokens.length === 0) return 'no tokens (set admin.tokens or DISTRIBUTARY_ADMIN_TOKENS to use the admin API)';
  const viewers = tokens.filter((t) => t.role === 'viewer').length;
  return `${tokens.length} token${tokens.length === 1 ? '' : 's'} (${viewers} viewer, ${tokens.length - viewers} operator)`;
}

export function ms(value: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (value >= size && value % size === 0) return `${value / size}${unit}`;
  }
  return `${value}ms`;
}
