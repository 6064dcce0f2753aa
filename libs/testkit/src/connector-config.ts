import { writeFileSync } from 'node:fs';
import { redisUrl } from './stack';

/**
 * Writes the YAML config of a connector streaming one table of `sourceUrl` (no snapshot) into the
 * shared log Redis, and returns `file`. `connector` is the `source.connector` block, written in the
 * given order (e.g. `{ batchSize: 20, leaseTtl: '1500ms' }`).
 */
export function writeConnectorConfig(
  file: string,
  options: {
    sourceUrl: string;
    slot: string;
    table: string;
    namespace: string;
    partitions: number;
    heartbeat?: string;
    connector: Record<string, string | number>;
  },
): string {
  const { sourceUrl, slot, table, namespace, partitions, heartbeat, connector } = options;
  const connectorBlock = Object.entries(connector)
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ');
  writeFileSync(
    file,
    [
      'source:',
      `  postgres: { url: "${sourceUrl}", slot: ${slot}, publication: ${slot}, snapshot: never${heartbeat ? `, heartbeat: ${heartbeat}` : ''} }`,
      `  tables: [public.${table}]`,
      `  connector: { ${connectorBlock} }`,
      'log:',
      `  redis: { url: "${redisUrl()}" }`,
      `  namespace: ${namespace}`,
      `  partitions: ${partitions}`,
      '',
    ].join('\n'),
  );
  return file;
}
