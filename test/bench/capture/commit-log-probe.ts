/**
 * Figure 5's first stage alone — COMMIT returned → the event is in the change log — without a worker or
 * Elasticsearch (`RATES=2000,5000 DURATION=8 npx tsx test/bench/capture/commit-log-probe.ts`): one
 * connector (this tree's, in a child process) on its own database and log namespace, transactions at a
 * fixed rate of changes from 32 connections as figure 5 drives them (one row per transaction up to
 * 1,000/s, above that ceil(rate / 1,000) rows), and a blocking XREAD over every partition marking when
 * each probe row (about 100 a second) is in the log. Prints p50/p95/p99 per rate with the load and the
 * connector's CPU per event; run it from two trees back to back for an A/B. Timings only: never part of
 * `npm test`.
 */
import { fork } from 'node:child_process';
import { Pool } from 'pg';
import { configSchema } from '@distributary/config';
import { LogKeys, connectRedis } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/connector';
import {
  createTestDatabase,
  deleteNamespace,
  redisUrl,
  uniqueName,
  waitFor,
  slotStreaming,
} from '@distributary/testkit';
import { percentile, round } from '../stopwatch';

const RATES = (process.env.RATES ?? '2000,5000').split(',').map(Number);
const SECONDS = Number(process.env.DURATION ?? 8);
const PARTITIONS = 8;
const CONNECTIONS = 32;
const TICK_MS = 10;
const PROBES_PER_SECOND = 100;
const MAX_COMMITS_PER_SECOND = 1000;

const load = async (): Promise<string> =>
  (await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** The child: the connector alone; it prints its CPU µs when told to stop. */
async function connectorChild(config: unknown): Promise<void> {
  const connector = new Connector({ config: configSchema.parse(config), logger: silentLogger });
  const running = connector.run();
  process.on('message', (message) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuMicros: user + system });
    }
    if (message === 'stop') void connector.stop().then(() => process.exit(0));
  });
  await running;
}

async function main(): Promise<void> {
  const db = await createTestDatabase('c2lprobe');
  await db.sql(`CREATE TABLE docs (id int PRIMARY KEY, grp int, title text, body text)`);
  const slot = uniqueName('slot');
  const namespace = uniqueName('c2l');
  const redis = connectRedis({ url: redisUrl() });
  const reader = connectRedis({ url: redisUrl() });
  const config = {
    source: {
      postgres: { url: db.url, slot, publication: slot, snapshot: 'never' },
      tables: ['public.docs'],
    },
    log: { redis: { url: redisUrl() }, namespace, partitions: PARTITIONS },
  };
  const child = fork(process.argv[1], [], {
    // C2L_CPU_PROFILE=<dir>: a CPU profile of the connector
    execArgv: [
      ...process.execArgv,
      ...(process.env.C2L_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.C2L_CPU_PROFILE}`] : []),
    ],
    env: { ...process.env, C2L_CONFIG: JSON.stringify(config) },
  });
  const cpu = (): Promise<number> =>
    new Promise((resolve) => {
      child.once('message', (message) => resolve((message as { cpuMicros: number }).cpuMicros));
      child.send('cpu');
    });
  const pool = new Pool({ connectionString: db.url, max: CONNECTIONS });
  const probeIds = new Set<number>();
  const committed = new Map<number, number>();
  const logged = new Map<number, number>();
  let stopped = false;
  try {
    await waitFor('streaming', async () => {
      return await slotStreaming(db, slot);
    });
    const keys = new LogKeys(namespace);
    const streams = Array.from({ length: PARTITIONS }, (_, p) => keys.partition(p));
    const cursors = streams.map(() => '0');
    const watching = (async () => {
      while (!stopped) {
        const reply = (await reader.xread('COUNT', 5000, 'BLOCK', 100, 'STREAMS', ...streams, ...cursors)) as
          [string, [string, string[]][]][] | null;
        const at = performance.now();
        for (const [stream, entries] of reply ?? []) {
          const p = streams.indexOf(stream);
          for (const [entryId, fields] of entries) {
            cursors[p] = entryId;
            const id = Number((JSON.parse(fields[fields.indexOf('e') + 1]) as { key?: { id?: number } }).key?.id);
            if (probeIds.has(id) && !logged.has(id)) logged.set(id, at);
          }
        }
      }
    })();
    const insert = (from: number, to: number) =>
      pool.query({
        name: 'c2l-insert',
        text: `INSERT INTO docs SELECT g, g % 100, 'title ' || g, rpad(md5(g::text), 240, md5((g * 7)::text))
          FROM generate_series($1::int, $2::int) AS g`,
        values: [from, to],
      });
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => insert(-1 - i, -1 - i)));
    const drive = async (rate: number, seconds: number, firstId: number): Promise<number[]> => {
      const rowsPerTx = Math.max(1, Math.ceil(rate / MAX_COMMITS_PER_SECOND));
      const commits = rate / rowsPerTx;
      const perTick = (commits * TICK_MS) / 1000;
      const probeEvery = Math.max(1, Math.round(commits / PROBES_PER_SECOND));
      const total = Math.round(commits * seconds);
      const probes: number[] = [];
      const writes: Promise<unknown>[] = [];
      const startedAt = Date.now();
      let issued = 0;
      while (issued < total) {
        const due = Math.min(total, Math.floor(((Date.now() - startedAt) / TICK_MS + 1) * perTick));
        for (; issued < due; issued++) {
          const id = firstId + issued * rowsPerTx;
          const probe = issued % probeEvery === 0;
          if (probe) {
            probes.push(id);
            probeIds.add(id);
          }
          writes.push(insert(id, id + rowsPerTx - 1).then(() => probe && committed.set(id, performance.now())));
        }
        await new Promise((done) => setTimeout(done, TICK_MS));
      }
      await Promise.all(writes);
      await waitFor('every probe in the log', async () => probes.every((id) => logged.has(id)), {
        timeoutMs: 60_000,
      });
      return probes.map((id) => (logged.get(id) as number) - (committed.get(id) as number));
    };
    await drive(RATES[0], 2, 1_000_000); // warm-up, not measured
    for (const [r, rate] of RATES.entries()) {
      const before = await load();
      const cpuBefore = await cpu();
      const ms = await drive(rate, SECONDS, (r + 2) * 10_000_000);
      const cpuPerEvent = (await cpu()) - cpuBefore;
      console.log(
        `${rate}/s commit → in the log: p50 ${round(percentile(ms, 50), 1)} p95 ${round(percentile(ms, 95), 1)} ` +
          `p99 ${round(percentile(ms, 99), 1)} ms (${ms.length} probes); connector ` +
          `${round(cpuPerEvent / (rate * SECONDS), 1)} µs CPU/event; load ${before} → ${await load()}`,
      );
    }
    stopped = true;
    await watching;
  } finally {
    stopped = true;
    await pool.end();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('stop');
    await exited;
    await deleteNamespace(redis, namespace);
    redis.disconnect();
    reader.disconnect();
    await db.drop();
  }
}

const childConfig = process.env.C2L_CONFIG;
void (childConfig ? connectorChild(JSON.parse(childConfig)) : main()).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
