/**
 * Connector peak RSS for one big transaction (not part of npm test).
 *   npx tsx test/bench/connector-rss.ts [--rows 200000] [--batch 1000] [--entry compiled|tsx]
 *     [--dist <dir>] [--node-args '<node options>']
 * Starts `distributary run --only connector` as a child process on a fresh database, as production
 * runs it (`--entry compiled`, the default: `node <dist>/apps/cli/src/main.js`, from `npm run build`;
 * `--dist` names another build directory) or as development runs it (`--entry tsx`), inserts <rows>
 * rows of ~200 B in ONE transaction, waits until every row is in the change log, and prints the child's
 * peak RSS (VmHWM, Linux) before and after. Bounded memory means the peak does not grow with <rows>.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LogKeys, connectRedis } from '@distributary/changelog';
import {
  createTestDatabase,
  redisUrl,
  uniqueName,
  waitFor,
  writeConnectorConfig,
  slotStreaming,
} from '@distributary/testkit';
import { connectorCommand, type ConnectorEntry } from './capture/connector-entry';
import { cpuMicros, memory } from './capture/proc-stats';
import { option, text } from './argv';

async function main(): Promise<void> {
  const rows = option('rows', 200_000);
  const batchSize = option('batch', 1000);
  const rowCache = text('row-cache') === undefined ? undefined : option('row-cache', 0);
  const entry = (text('entry') ?? 'compiled') as ConnectorEntry;
  const nodeArgs = (text('node-args') ?? '').split(' ').filter(Boolean);
  const partitions = 8;
  const db = await createTestDatabase('bench_rss');
  const redis = connectRedis({ url: redisUrl() });
  const namespace = uniqueName('bench_rss');
  const keys = new LogKeys(namespace);
  const workdir = mkdtempSync(join(tmpdir(), 'connector-rss-'));
  const slot = uniqueName('slot');
  const configFile = writeConnectorConfig(join(workdir, 'config.yaml'), {
    sourceUrl: db.url,
    slot,
    table: 'big',
    namespace,
    partitions,
    connector: { batchSize, ...(rowCache === undefined ? {} : { rowCache }) },
  });
  await db.sql(`CREATE TABLE big (id int PRIMARY KEY, payload text, amount numeric, at timestamptz)`);
  const command = connectorCommand(
    entry,
    ['run', '--only', 'connector', '--config', configFile, '--metrics-port', '0'],
    {
      dist: text('dist'),
      nodeArgs,
    },
  );
  const child = spawn(process.execPath, command.args, {
    cwd: resolve(__dirname, '../..'),
    env: { ...process.env, ...command.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitFor('the connector streams', async () => slotStreaming(db, slot), { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1000)); // settled idle
    const idle = memory(child.pid!)!;
    const cpuBefore = cpuMicros(child.pid!) ?? 0;
    const started = Date.now();
    await db.sql(
      `INSERT INTO big SELECT i, repeat(md5(i::text), 5), i * 1.01, now() FROM generate_series(1, ${rows}) AS i`,
    );
    const committed = Date.now();
    let peakSeen = idle.rssBytes;
    await waitFor(
      `${rows} events in the log`,
      async () => {
        peakSeen = Math.max(peakSeen, memory(child.pid!)?.rssBytes ?? 0);
        let total = 0;
        for (let p = 0; p < partitions; p++) total += await redis.xlen(keys.partition(p));
        return total >= rows;
      },
      { timeoutMs: 30 * 60_000, intervalMs: 100 },
    );
    const done = Date.now();
    const after = memory(child.pid!)!;
    const cpu = (cpuMicros(child.pid!) ?? 0) - cpuBefore;
    const MiB = 2 ** 20;
    console.log(
      JSON.stringify(
        {
          benchmark: 'connector-rss',
          entry: command.describe,
          setup: { rows, rowBytes: '~200 B', batchSize, partitions, redis: 'local AOF always', postgres: 'local' },
          idleRssMb: Math.round(idle.rssBytes / MiB),
          idlePeakMb: Math.round(idle.peakBytes / MiB),
          peakRssMb: Math.round(after.peakBytes / MiB),
          peakRssSampledMb: Math.round(peakSeen / MiB),
          insertSeconds: (committed - started) / 1000,
          streamSecondsAfterCommit: (done - committed) / 1000,
          eventsPerSecond: Math.round(rows / ((done - committed) / 1000)),
          cpuMicrosPerEvent: Math.round((cpu / rows) * 10) / 10,
        },
        null,
        2,
      ),
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    for (let p = 0; p < partitions; p++) await redis.del(keys.partition(p));
    await redis.del(
      keys.meta(),
      keys.transactions(),
      keys.connectorLease(),
      keys.connectorToken(),
      keys.connectorState(),
    );
    redis.disconnect();
    await db.drop();
    rmSync(workdir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
