/**
 * A/B probe of the ES sink's bulk writer against the real Elasticsearch, by bulk requests in flight
 * (`CONCURRENCY=2,4,8 npx tsx test/bench/bulk-slots-probe.ts`; a setting `c:e` also sets `eagerSlots`,
 * the partial requests in flight at once, e.g. `8:1,8:2,8:8`): 8 partitions share one BulkWriter as
 * in a worker, and each writes like a PartitionTask — one write() at a time, carrying every document
 * that arrived meanwhile. Each setting runs in short windows, alternated round by round, so the
 * machine's load drifts over every setting alike (compare only these medians, not single windows):
 *  - steady: RATE documents/s in total; latency arrival → write() resolved (p50/p99 per window), bulk
 *    requests/s, and CPU µs per document of this process (the writer) and of Elasticsearch;
 *  - backlog: every partition writes batches of BATCH documents back to back; documents/s and
 *    documents per request.
 * Documents are ~300 B like figure 5's rows, versioned like the sink's (external_gte).
 */
import { Client } from '@elastic/elasticsearch';
import type { ChangeEvent } from '@distributary/core';
import { silentLogger } from '@distributary/observability';
import { esUrl, uniqueName } from '@distributary/testkit';
import { BulkWriter } from '../../libs/sinks/elasticsearch/src/write/bulk-writer';
import type { BulkOp } from '../../libs/sinks/elasticsearch/src/write/bulk-op';
import { percentile, round } from './stopwatch';
import { serviceCpu } from './service-cpu';

/** `c` or `c:e`: `concurrency` c, `eagerSlots` e (default: the writer's). */
const SETTINGS = (process.env.CONCURRENCY ?? '2,4,8').split(',');
const RATE = Number(process.env.RATE ?? 2000);
const WINDOW_S = Number(process.env.WINDOW ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const BATCH = 500;
/** Only to tell the log Redis apart in serviceCpu (unused here). */
const REDIS_PORT = '16379';
const PARTITIONS = 8;

const client = new Client({ node: esUrl() });
const index = uniqueName('h4-slots').replace(/_/g, '-');
const event = { pos: { lsn: 1n, seq: 0 }, op: 'c', table: 'public.docs', key: {} } as unknown as ChangeEvent;
const body = 'x'.repeat(240);
let nextId = 0;
const op = (): BulkOp => {
  const id = ++nextId;
  return {
    action: 'index',
    index,
    id: String(id),
    version: id,
    source: `{"id":${id},"title":"t ${id}","body":"${body}"}`,
    event,
  };
};
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function writer(setting: string): { writer: BulkWriter; requests: () => number } {
  const [concurrency, eagerSlots, smallDocs] = setting.split(':').map(Number);
  let requests = 0;
  const w = new BulkWriter(
    client,
    {
      sink: 'probe',
      maxDocs: 1000,
      maxBytes: 5 << 20,
      lingerMs: 50,
      concurrency,
      timeoutMs: 30_000,
      ...(eagerSlots ? { eagerSlots } : {}),
      ...(smallDocs ? { smallDocs } : {}),
    },
    silentLogger,
  );
  const send = (w as unknown as { send: (p: unknown[]) => Promise<void> }).send.bind(w);
  (w as unknown as { send: (p: unknown[]) => Promise<void> }).send = (p) => (requests++, send(p));
  return { writer: w, requests: () => requests };
}

interface Steady {
  latencies: number[];
  /** Bulk requests per second of the window. */
  requests: number;
  /** This process's (the writer's) and Elasticsearch's CPU µs per document (ES: its whole process). */
  writerCpu: number;
  esCpu: number;
}

const cpuNow = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** RATE docs/s over the partitions; each partition writes what arrived while its last write was out. */
async function steady(setting: string): Promise<Steady> {
  const { writer: w, requests } = writer(setting);
  const latencies: number[] = [];
  const cpuBefore = cpuNow();
  const esBefore = serviceCpu(REDIS_PORT).elasticsearch;
  const start = performance.now();
  const end = start + WINDOW_S * 1000;
  const perPartition = RATE / PARTITIONS;
  await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, p) => {
      let arrived = 0; // arrivals of this partition so far: the k-th at start + (k + p / PARTITIONS) / perPartition s
      const arrival = (k: number): number => start + ((k + p / PARTITIONS) / perPartition) * 1000;
      while (arrival(arrived) < end) {
        const now = performance.now();
        if (arrival(arrived) > now) {
          await sleep(arrival(arrived) - now);
          continue;
        }
        const batch: number[] = [];
        while (arrival(arrived) <= performance.now() && arrival(arrived) < end) batch.push(arrival(arrived++));
        await w.write(batch.map(op));
        const done = performance.now();
        for (const at of batch) latencies.push(done - at);
      }
    }),
  );
  const docs = Math.max(1, latencies.length);
  return {
    latencies,
    requests: requests() / ((performance.now() - start) / 1000),
    writerCpu: (cpuNow() - cpuBefore) / docs,
    esCpu: (serviceCpu(REDIS_PORT).elasticsearch - esBefore) / docs,
  };
}

/** Every partition writes batches of BATCH back to back for the window. */
async function backlog(setting: string): Promise<{ docsPerSecond: number; perRequest: number }> {
  const { writer: w, requests } = writer(setting);
  const start = performance.now();
  let docs = 0;
  await Promise.all(
    Array.from({ length: PARTITIONS }, async () => {
      while (performance.now() - start < WINDOW_S * 1000) {
        await w.write(Array.from({ length: BATCH }, op));
        docs += BATCH;
      }
    }),
  );
  return { docsPerSecond: docs / ((performance.now() - start) / 1000), perRequest: docs / Math.max(1, requests()) };
}

const median = (xs: number[]): number => percentile(xs, 50);
const load = async (): Promise<string> => (await import('node:os')).loadavg()[0].toFixed(1);

async function main(): Promise<void> {
  await client.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0 } });
  const results = new Map(
    SETTINGS.map((c) => [
      c,
      {
        p50: [] as number[],
        p99: [] as number[],
        rate: [] as number[],
        per: [] as number[],
        reqs: [] as number[],
        cpu: [] as number[],
        es: [] as number[],
      },
    ]),
  );
  try {
    for (let n = 0; n < ROUNDS; n++) {
      for (const c of n % 2 === 0 ? SETTINGS : [...SETTINGS].reverse()) {
        const r = results.get(c) as NonNullable<ReturnType<typeof results.get>>;
        const s = await steady(c);
        r.p50.push(percentile(s.latencies, 50));
        r.p99.push(percentile(s.latencies, 99));
        r.reqs.push(s.requests);
        r.cpu.push(s.writerCpu);
        r.es.push(s.esCpu);
        const b = await backlog(c);
        r.rate.push(b.docsPerSecond);
        r.per.push(b.perRequest);
        console.log(
          `round ${n} concurrency ${c}: steady ${RATE}/s p50 ${round_(r.p50[r.p50.length - 1])} p99 ${round_(r.p99[r.p99.length - 1])} ms, ` +
            `${Math.round(s.requests)} req/s, writer ${Math.round(s.writerCpu)} / ES ${Math.round(s.esCpu)} µs/doc; ` +
            `backlog ${Math.round(b.docsPerSecond)} docs/s, ${Math.round(b.perRequest)} docs/request; load ${await load()}`,
        );
      }
    }
    for (const [c, r] of results)
      console.log(
        `concurrency ${c} (median of ${ROUNDS} windows): steady p50 ${round_(median(r.p50))} / p99 ${round_(median(r.p99))} ms, ` +
          `${Math.round(median(r.reqs))} req/s, writer ${Math.round(median(r.cpu))} / ES ${Math.round(median(r.es))} µs/doc; ` +
          `backlog ${Math.round(median(r.rate))} docs/s, ${Math.round(median(r.per))} docs/request`,
      );
  } finally {
    await client.indices.delete({ index }, { ignore: [404] });
    await client.close();
  }
}

const round_ = (ms: number): number => round(ms, 1);

void main();
