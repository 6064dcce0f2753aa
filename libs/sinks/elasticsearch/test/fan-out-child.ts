/**
 * A process that only drains a joined sink's fan-out queue (fan-out.test.ts kills it with -9 mid-pass).
 * Configured by env FAN_OUT_CHILD = JSON { sourceUrl, namespace, alias, pageSize }; prints "ready".
 */
import { connectRedis } from '@distributary/changelog';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { redisUrl } from '@distributary/testkit';
import { fanOutSinkConfig } from './fan-out-config';

async function main(): Promise<void> {
  const config = JSON.parse(process.env.FAN_OUT_CHILD ?? '{}') as {
    sourceUrl: string;
    namespace: string;
    alias: string;
    pageSize: number;
  };
  const redis = connectRedis({ url: redisUrl() });
  const sink = createElasticsearchSink(fanOutSinkConfig(config.alias), {
    source: new PgSourceRows(config.sourceUrl),
    fanOut: {
      redis,
      namespace: config.namespace,
      owner: 'child',
      pageSize: config.pageSize,
      pollMs: 50,
      lockTtlMs: 1000,
      deadLetter: async () => undefined,
    },
  });
  await sink.open();
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`fan-out child failed: ${String(error)}\n`);
  process.exit(1);
});
