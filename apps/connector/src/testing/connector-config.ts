import { writeFileSync } from 'node:fs';
import { redisUrl } from '@distributary/testkit';

/** Test support: writes the YAML config of a connector streaming one table of `sourceUrl` into the
 *  shared log Redis (snapshot never, heartbeat and status every second) and returns `file`. */
export function writeConnectorConfig(
  file: string,
  options: {
    sourceUrl: string;
    slot: string;
    table: string;
    namespace: string;
    partitions: number;
    batchSize: number;
    lease: { ttl: string; renew: string };
  },
): string {
  const { sourceUrl, slot, table, namespace, partitions, batchSize, lease } = options;
  writeFileSync(
    file,
    [
      'source:',
      `  postgres: { url: "${sourceUrl}", slot: ${slot}, publication: ${slot}, snapshot: never, heartbeat: 1s }`,
      `  tables: [public.${table}]`,
      `  connector: { batchSize: ${batchSize}, leaseTtl: ${lease.ttl}, leaseRenew: ${lease.renew}, statusEvery: 1s }`,
      'log:',
      `  redis: { url: "${redisUrl()}" }`,
      `  namespace: ${namespace}`,
      `  partitions: ${partitions}`,
      '',
    ].join('\n'),
  );
  return file;
}
