import { request, type IncomingMessage } from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Pool } from 'pg';
import { stringify } from 'yaml';
import { issueToken, readGatewayStatuses } from '@distributary/gateway';
import { freePort, waitFor } from '@distributary/testkit';
import { RoleProcess, type RoleName } from '../../harness/role-process';
import type { BenchResult, Figure } from '../bench-types';
import type { BenchContext } from '../context';
import { docsRowsSql } from '../source-table';
import { percentile, round } from '../stopwatch';

/** Issue 19's gateway figure: subscribers over 100 distinct filters, changes at a fixed rate. */
const FILTERS = 100;
const ROWS = 1000;
const RATE = 1000;
const TICK_MS = 10;
const KEY = { kid: 'bench', secret: 'bench-gateway-secret-0123456789abcdef' };
const OPEN_CONCURRENCY = 50;

interface Delivery {
  seq: number;
  at: number;
}

/** One SSE subscriber; records when each change (its `title` carries the write's sequence number) arrived. */
class Subscriber {
  ready = false;
  failed = '';
  private buffer = '';
  private response: IncomingMessage | undefined;

  constructor(private readonly deliveries: Delivery[]) {}

  open(url: string): Promise<void> {
    return new Promise((resolve) => {
      const req = request(url, (res) => {
        this.response = res;
        if (res.statusCode !== 200) this.failed = `HTTP ${res.statusCode}`;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => this.receive(chunk));
        res.on('close', () => {
          if (!this.failed) this.failed = 'closed';
        });
        resolve();
      });
      req.on('error', (error) => {
        this.failed = error.message;
        resolve();
      });
      req.end();
    });
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end = this.buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      end = this.buffer.indexOf('\n\n');
      if (!this.ready) {
        if (block.includes('event: ready')) this.ready = true;
        continue;
      }
      const at = block.indexOf('"title":"s');
      if (at < 0) continue;
      const seq = Number.parseInt(block.slice(at + 10, at + 22), 10);
      this.deliveries.push({ seq, at: performance.now() });
    }
  }

  close(): void {
    this.response?.destroy();
  }
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ = 100
}

function rssMib(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
}

/**
 * 10. Gateway fan-out (issue 19's "figure 8"): one gateway process, subscribers spread over 100
 * distinct filters (`grp = :g`, 10 rows each), single-row UPDATEs at 1,000/s each touching one
 * filter. Commit → delivered (COMMIT returned → the change parsed by a subscriber), p50/p99, the
 * gateway's CPU and RSS, at 1,000 subscribers and then more, until p99 exceeds 1 s.
 */
export async function gatewayFanOut(ctx: BenchContext): Promise<BenchResult> {
  // 1 subscriber first: the pipeline's floor (WAL → log → gateway → client with no fan-out), then the ramp.
  const steps = ctx.preset.name === 'full' ? [1, 1000, 2000, 3000, 4000, 6000] : [1, 1000, 2000, 3000];
  const seconds = ctx.preset.name === 'full' ? 20 : 8;
  const { db, pipeline } = await ctx.newPipeline('bench_gw');
  const port = await freePort();
  const configFile = pipeline.configFile.replace(/\.yaml$/, '.gateway.yaml');
  writeFileSync(
    configFile,
    stringify({
      ...pipeline.config(),
      gateway: { port, keys: [KEY] },
      subscriptions: [
        {
          name: 'docs-by-grp',
          table: 'public.docs',
          filter: 'grp = :g',
          params: ['g'],
          columns: ['id', 'grp', 'title'],
        },
      ],
    }),
  );
  ctx.onCleanup(async () => rmSync(configFile, { force: true }));
  const connector = pipeline.start('connector');
  await pipeline.waitForSlot(connector);
  // BENCH_GATEWAY_CPU_PROFILE=<dir>: a V8 CPU profile of the gateway process, written when it exits.
  const profileDir = process.env.BENCH_GATEWAY_CPU_PROFILE;
  const gateway = new RoleProcess(
    'gateway' as RoleName,
    configFile,
    'gateway#0',
    {},
    undefined,
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  pipeline.processes.push(gateway);
  const pool = new Pool({ connectionString: db.url, max: 32 });
  const subscribers: Subscriber[] = [];
  const deliveries: Delivery[] = [];
  try {
    await pool.query(`INSERT INTO public.docs ${docsRowsSql(1, ROWS)}`);
    await waitFor(
      'the gateway to be ready',
      async () => {
        gateway.assertAlive();
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
        return response?.status === 200;
      },
      { timeoutMs: 120_000 },
    );
    const tokens = await Promise.all(
      Array.from({ length: FILTERS }, (_, g) =>
        issueToken({ subscription: 'docs-by-grp', params: { g: String(g) }, ttlSeconds: 3600, key: KEY }),
      ),
    );
    const figures: Figure[] = [];
    const notes: string[] = [];
    let seq = 0;
    let maxWithinSecond: number | undefined;
    let exceeded = false;
    for (const count of steps) {
      const opening: Subscriber[] = [];
      for (let i = subscribers.length; i < count; i++) opening.push(new Subscriber(deliveries));
      for (let i = 0; i < opening.length; i += OPEN_CONCURRENCY) {
        await Promise.all(
          opening.slice(i, i + OPEN_CONCURRENCY).map((s, j) => {
            const g = (subscribers.length + i + j) % FILTERS;
            return s.open(`http://127.0.0.1:${port}/v1/subscriptions/docs-by-grp?g=${g}&token=${tokens[g]}`);
          }),
        );
      }
      subscribers.push(...opening);
      let reportedAt = Date.now();
      await waitFor(
        `${count} subscribers ready`,
        async () => {
          gateway.assertAlive();
          const failed = subscribers.find((s) => s.failed);
          if (failed) throw new Error(`a subscriber failed: ${failed.failed}`);
          const ready = subscribers.filter((s) => s.ready).length;
          if (Date.now() - reportedAt > 10_000 && ready < subscribers.length && (reportedAt = Date.now()))
            process.stderr.write(`  ${ready}/${subscribers.length} ready\n`);
          return ready === subscribers.length || undefined;
        },
        { timeoutMs: 300_000, intervalMs: 100 },
      );

      deliveries.length = 0;
      const committedAt = new Map<number, number>();
      const firstSeq = seq;
      const cpuBefore = cpuSeconds(gateway.pid);
      const connectorCpuBefore = cpuSeconds(connector.pid);
      const clientCpuBefore = process.cpuUsage();
      const startedAt = Date.now();
      const total = RATE * seconds;
      const perTick = (RATE * TICK_MS) / 1000;
      const writes: Promise<void>[] = [];
      let issued = 0;
      while (issued < total) {
        const due = Math.min(total, Math.floor(((Date.now() - startedAt) / TICK_MS + 1) * perTick));
        for (; issued < due; issued++) {
          const s = seq++;
          const id = 1 + (s % ROWS);
          writes.push(
            pool.query(`UPDATE public.docs SET title = 's${s}' WHERE id = ${id}`).then(() => {
              committedAt.set(s, performance.now());
            }),
          );
        }
        await new Promise((done) => setTimeout(done, TICK_MS));
      }
      await Promise.all(writes);
      const elapsed = (Date.now() - startedAt) / 1000;
      const achieved = Math.round(total / elapsed);
      const expected = total * (count / FILTERS);
      // Wait for the tail of deliveries (at most 10 s), then compute.
      const waitUntil = Date.now() + 10_000;
      while (deliveries.length < expected && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 50));
      const wall = (Date.now() - startedAt) / 1000;
      const cpu = (cpuSeconds(gateway.pid) - cpuBefore) / wall;
      const connectorCpu = (cpuSeconds(connector.pid) - connectorCpuBefore) / wall;
      const clientUsage = process.cpuUsage(clientCpuBefore);
      const clientCpu = (clientUsage.user + clientUsage.system) / 1e6 / wall;
      // The gateway's own view (source commit timestamp → written to the socket), last 5 s interval.
      const [served] = await readGatewayStatuses(pipeline.redis, pipeline.keys);
      const latencies: number[] = [];
      for (const d of deliveries) {
        const at = committedAt.get(d.seq);
        if (d.seq >= firstSeq && at !== undefined) latencies.push(Math.max(0, d.at - at));
      }
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      const missing = expected - latencies.length;
      figures.push(
        { label: `${count} subscribers p50`, value: round(p50, 1), unit: 'ms' },
        { label: `${count} subscribers p99`, value: round(p99, 1), unit: 'ms' },
        { label: `${count} subscribers gateway CPU`, value: round(cpu * 100, 1), unit: '% of a core' },
        { label: `${count} subscribers gateway RSS`, value: round(rssMib(gateway.pid, 'VmRSS'), 1), unit: 'MiB' },
      );
      notes.push(
        `${count} subscribers: ${achieved} changes/s achieved (target ${RATE}), ${latencies.length} deliveries measured` +
          (missing > 0 ? `, ${missing} not delivered within 10 s after the load` : '') +
          `, gateway peak RSS ${round(rssMib(gateway.pid, 'VmHWM'), 1)} MiB; CPU: connector ${round(connectorCpu * 100)} %, ` +
          `clients + writer (bench process) ${round(clientCpu * 100)} %; gateway-side lag (commit timestamp → written, its last 5 s) ` +
          `p50 ${served?.lagP50Ms ?? '—'} ms, p99 ${served?.lagP99Ms ?? '—'} ms; machine load ${loadavg()[0].toFixed(1)}`,
      );
      if (count === 1) continue;
      if (p99 > 1000 || missing > 0) {
        exceeded = true;
        break;
      }
      maxWithinSecond = count;
    }
    figures.push({
      label: exceeded ? 'max subscribers with p99 ≤ 1 s' : 'max subscribers with p99 ≤ 1 s (not reached: at least)',
      value: maxWithinSecond ?? 0,
      unit: 'subscribers',
    });
    return {
      id: 10,
      name: 'Gateway fan-out: commit → delivered over SSE (issue 19 figure 8)',
      figures,
      setup: {
        filters: FILTERS,
        rowsPerFilter: ROWS / FILTERS,
        changesPerSecond: RATE,
        secondsPerStep: seconds,
        transaction: '1-row UPDATE',
        partitions: ctx.preset.partitions,
        clients: 'in the bench process (same 2 cores)',
      },
      notes,
    };
  } finally {
    for (const s of subscribers) s.close();
    await pool.end();
    await pipeline.stopAll();
  }
}
