/**
 * A/B probe of the partition task's batch loop alone (`tsx test/bench/pipeline-probe.ts [task module]`):
 * one partition in the real Redis, a sink whose apply takes a fixed round trip (APPLY_MS, as a bulk
 * request to a remote Elasticsearch would), and the PartitionTask of the given module (default: this
 * tree's; pass another tree's libs/worker/src/partition-task.ts to compare). Prints, with the load:
 *  - latency append → applied (p50/p95/p99) at a fixed rate, one XADD per event as the connector does;
 *  - the drain rate of a backlog (batches of BATCH events back to back).
 * The sink's round trip is a timer, so the figures move with the loop's own cost, not with the machine's.
 * DEPTH=2: the sink declares `batchesInFlight` 2 and the task keeps up to 2 batches in flight (a timer sink
 * trivially lands its calls in order).
 */
import { resolve } from 'node:path';
import { encodeEvent, type ApplyResult, type ChangeEvent, type Sink, type SinkBatch } from '@distributary/core';
import { ChangeLog, LogKeys, acquireLease, connectRedis } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { deleteNamespace, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import type { PartitionTask as Task, PartitionTaskOptions } from '../../libs/worker/src/partition-task';
import { percentile, round } from './stopwatch';

const APPLY_MS = Number(process.env.APPLY_MS ?? 20);
const RATE = Number(process.env.RATE ?? 400);
const SECONDS = Number(process.env.DURATION ?? 8);
const BACKLOG = Number(process.env.BACKLOG ?? 20_000);
const BATCH = 500;
/** DEPTH > 1: the sink declares `batchesInFlight` and the task keeps up to DEPTH batches in flight. */
const DEPTH = Number(process.env.DEPTH ?? 1);

let lsn = 1_000_000n;
const event = (id: number): ChangeEvent => {
  lsn += 8n;
  return {
    pos: { lsn, seq: 0 },
    op: 'u',
    table: 'public.t',
    key: { id: String(id) },
    after: { id: String(id), t: String(performance.now() + performance.timeOrigin) },
    commitTs: new Date().toISOString(),
  };
};

class TimedSink implements Sink {
  readonly kind = 'redis' as const;
  readonly name = 'probe';
  readonly tables = ['public.t'];
  readonly latencies: number[] = [];
  readonly batchesInFlight = DEPTH;
  applied = 0;
  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async apply(batch: SinkBatch): Promise<ApplyResult> {
    await new Promise((done) => setTimeout(done, APPLY_MS));
    const now = performance.now() + performance.timeOrigin;
    for (const e of batch.events) this.latencies.push(now - Number(e.after?.t));
    this.applied += batch.events.length;
    return { applied: batch.events.length, skippedAsStale: 0, rejected: [] };
  }
}

const load = async (): Promise<string> =>
  (await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function main(): Promise<void> {
  const modulePath = resolve(process.argv[2] ?? resolve(__dirname, '../../libs/worker/src/partition-task.ts'));
  const { PartitionTask } = (await import(modulePath)) as {
    PartitionTask: new (options: PartitionTaskOptions) => Task;
  };
  const redis = connectRedis({ url: redisUrl() });
  const keys = new LogKeys(uniqueName('pipeprobe'));
  const append = async (events: ChangeEvent[]): Promise<void> => {
    const multi = redis.multi();
    for (const e of events) {
      const encoded = encodeEvent(e);
      multi.xadd(keys.partition(0), encoded.id, ...Object.entries(encoded.fields).flat());
    }
    await multi.exec();
  };
  const sink = new TimedSink();
  const token = (await acquireLease(redis, keys, sink.name, 0, 'probe', 600_000)) as number;
  const task = new PartitionTask({
    log: new ChangeLog(redis, keys, 1),
    sink,
    claim: { sink: sink.name, partition: 0, fencingToken: token },
    batchSize: BATCH,
    blockMs: 1000,
    isPaused: () => false,
    logger: silentLogger,
  });
  try {
    // latency at a fixed rate: one XADD per event, spread over ticks of 5 ms
    const loadBefore = await load();
    let id = 0;
    const total = RATE * SECONDS;
    const started = performance.now();
    while (id < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
      while (id < due) await append([event(id++)]);
      await new Promise((done) => setTimeout(done, 5));
    }
    await waitFor('every event applied', async () => sink.applied >= total, { timeoutMs: 60_000, intervalMs: 5 });
    const l = sink.latencies.splice(0);
    process.stdout.write(
      `module ${modulePath}\napply ${APPLY_MS} ms, ${DEPTH} batch(es) in flight; ${RATE} events/s for ${SECONDS} s: append → applied ` +
        `p50 ${round(percentile(l, 50), 1)} / p95 ${round(percentile(l, 95), 1)} / p99 ${round(percentile(l, 99), 1)} ms ` +
        `(load ${loadBefore} → ${await load()})\n`,
    );
    // drain rate of a backlog
    const loadBacklog = await load();
    const backlog = Array.from({ length: BACKLOG }, () => event(id++));
    const from = sink.applied;
    const drainStart = performance.now(); // appending (a few ms) included: the task starts on the first page
    for (let i = 0; i < backlog.length; i += 1000) await append(backlog.slice(i, i + 1000));
    await waitFor('the backlog drained', async () => sink.applied >= from + BACKLOG, {
      timeoutMs: 300_000,
      intervalMs: 5,
    });
    const ms = performance.now() - drainStart;
    process.stdout.write(
      `backlog of ${BACKLOG} in batches of ${BATCH}: ${round(ms)} ms = ${round(BACKLOG / (ms / 1000))} events/s ` +
        `(${round(ms / (BACKLOG / BATCH), 1)} ms per batch; load ${loadBacklog} → ${await load()})\n`,
    );
  } finally {
    await task.stop();
    await deleteNamespace(redis, keys.namespace);
    redis.disconnect();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
