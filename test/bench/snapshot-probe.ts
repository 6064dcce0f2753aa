/**
 * A/B probe of the initial snapshot → log path alone (`tsx test/bench/snapshot-probe.ts [module]`): the
 * joined workload's products (ROWS, default 100,000) and categories read by runInitialSnapshot of the
 * given module (default: this tree's libs/postgres/snapshot/src/initial-snapshot.ts; pass another
 * tree's to compare) inside a fresh slot's exported snapshot, appended with the real LogAppender to
 * the real Redis (8 partitions). Prints wall time, rows/s and this process's CPU µs per row (reading
 * with the text protocol, conversion, encoding, XADD calls) and the log Redis's, with the load.
 * PROBE_DB=<url>: reuse a database that already holds the workload (else one is created and dropped);
 * CONNECTIONS (default 3), CHUNK (default 2000), DEPTH (appends in flight, default 2; the old tree
 * ignores it), REPEAT (default 1), RECORD (where the progress record is written: `own`, default, in the
 * log Redis on a connection of its own, as the connector writes it; `shared`: on the appender's
 * connection, where each chunk's HSET waits behind the appends in flight; `memory`: no round trip).
 */
import { resolve } from 'node:path';
import { loadavg } from 'node:os';
import type { ChangeEvent } from '@distributary/core';
import { AppendChain, LogAppender, LogKeys, connectRedis } from '@distributary/changelog';
import { initialSnapshotRecord } from '@distributary/control';
import { createRawTextPool, createSlotWithExportedSnapshot, TypeResolver } from '@distributary/pg-catalog';
import { createTestDatabase, deleteNamespace, redisUrl, uniqueName } from '@distributary/testkit';
import type { InitialSnapshotStore, runInitialSnapshot as Run } from '@distributary/pg-snapshot';
import { createJoinedSql, fillProducts, JOINED_TABLES } from './joined-table';
import { round } from './stopwatch';
import { serviceCpu } from './service-cpu';

const ROWS = Number(process.env.ROWS ?? 100_000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 3);
const CHUNK = Number(process.env.CHUNK ?? 2000);
const REPEAT = Number(process.env.REPEAT ?? 1);
const DEPTH = Number(process.env.DEPTH ?? 2);
const RECORD = process.env.RECORD ?? 'own';

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** The progress record in memory (RECORD=memory; the connector keeps it in the log Redis: one HSET per chunk). */
function memoryRecord(): InitialSnapshotStore {
  const fields: Record<string, string> = {};
  return {
    read: async () => ({ ...fields }),
    write: async (update) => {
      for (const [k, v] of Object.entries(update)) fields[k] = String(v);
    },
  };
}

async function once(run: typeof Run, url: string): Promise<string> {
  const redis = connectRedis({ url: redisUrl() });
  const keys = new LogKeys(uniqueName('snapprobe'));
  const appender = new LogAppender(redis, keys, 8);
  const chain = new AppendChain();
  const own = redis.duplicate();
  const pool = createRawTextPool(url, { max: CONNECTIONS + 2 });
  const slot = await createSlotWithExportedSnapshot(url, uniqueName('snapprobe'));
  try {
    const loadBefore = load();
    const cpu = process.cpuUsage();
    const redisPort = new URL(redisUrl()).port;
    const redisBefore = serviceCpu(redisPort).redis;
    const started = performance.now();
    const result = await run({
      pool,
      types: new TypeResolver(pool),
      tables: JOINED_TABLES,
      lsn: slot.consistentPointLsn,
      snapshotName: slot.snapshotName,
      onSnapshotImported: () => slot.release(),
      // As the connector appends: on one AppendChain, so DEPTH appends may be in flight.
      append: async (events: ChangeEvent[]) => {
        const batch = appender.newBatch();
        for (const event of events) batch.addEvent(event);
        await appender.write(batch, chain);
      },
      appendDepth: DEPTH,
      state: RECORD === 'memory' ? memoryRecord() : initialSnapshotRecord(RECORD === 'own' ? own : redis, keys),
      concurrency: CONNECTIONS,
      chunkSize: CHUNK,
    });
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const micros = used.user + used.system;
    const redisMicros = serviceCpu(redisPort).redis - redisBefore;
    return (
      `${result.rows} rows in ${round(ms)} ms = ${round(result.rows / (ms / 1000))} rows/s; ` +
      `CPU ${round(micros / result.rows, 1)} µs/row (user ${round(used.user / result.rows, 1)}); ` +
      `log Redis ${round(redisMicros / result.rows, 1)} µs/row (a shared server: an upper bound); ` +
      `connections ${CONNECTIONS}, chunk ${CHUNK}, depth ${DEPTH}, record ${RECORD} (load ${loadBefore} → ${load()})`
    );
  } finally {
    await slot.release();
    await pool.end();
    const { Client } = await import('pg');
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query(`SELECT pg_drop_replication_slot($1)`, [slot.slot]).catch(() => undefined);
    await client.end();
    await deleteNamespace(redis, keys.namespace);
    own.disconnect();
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  const modulePath = resolve(
    process.argv[2] ?? resolve(__dirname, '../../libs/postgres/snapshot/src/initial-snapshot.ts'),
  );
  const { runInitialSnapshot } = (await import(modulePath)) as { runInitialSnapshot: typeof Run };
  const own = process.env.PROBE_DB ? undefined : await createTestDatabase('snapprobe');
  const url = process.env.PROBE_DB ?? own!.url;
  try {
    if (own) {
      await own.sql(createJoinedSql);
      await fillProducts(url, ROWS / 1000, 1000);
      await own.sql('VACUUM ANALYZE');
    }
    process.stdout.write(`module ${modulePath}\n`);
    for (let i = 0; i < REPEAT; i++) process.stdout.write(`${await once(runInitialSnapshot, url)}\n`);
  } finally {
    await own?.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
