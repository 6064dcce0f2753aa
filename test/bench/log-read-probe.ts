/**
 * `npx tsx test/bench/log-read-probe.ts [events] [rounds] [count]`: the worker's log reading alone, in CPU µs
 * per entry (this process's user + system time): the events of figure 3 (product inserts of ~300 B
 * rows) appended to 8 partitions of a fresh namespace, then read back as a partition task reads them
 * (`ChangeLog.read.partition`, batches of `count`, default 500, each partition to its end), decoded included. Run it in
 * another tree (its node_modules/@distributary pointing at that tree's libs) for an A/B in the same
 * minutes. Prints the median of the rounds.
 */
import type { ChangeEvent } from '@distributary/core';
import { ChangeLog, connectRedis } from '@distributary/changelog';
import { deleteNamespace, redisUrl, uniqueName } from '@distributary/testkit';

const PARTITIONS = 8;

function productEvent(id: number, lsn: bigint): ChangeEvent {
  const after = { id, category_id: 1 + (id % 50), title: `title ${id}`, body: `${id}`.padEnd(240, 'abcdef0123456789') };
  return {
    pos: { lsn, seq: id % 1000 },
    op: 'c',
    table: 'public.products',
    key: { id },
    after,
    xid: 1000 + Math.floor(id / 1000),
    commitTs: new Date().toISOString(),
  };
}

async function readAllOnce(log: ChangeLog, count: number): Promise<number> {
  let entries = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    let after = '0-0';
    for (;;) {
      const batch = await log.read.partition(p, after, { count });
      if (batch.length === 0) break;
      entries += batch.length;
      after = batch[batch.length - 1].id;
    }
  }
  return entries;
}

async function main(): Promise<void> {
  const events = Number(process.argv[2] ?? 100_000);
  const rounds = Number(process.argv[3] ?? 5);
  const count = Number(process.argv[4] ?? 500);
  const redis = connectRedis({ url: redisUrl() });
  const namespace = uniqueName('read_probe');
  const log = new ChangeLog(redis, namespace, PARTITIONS);
  try {
    const appender = log.appender();
    await appender.ensurePartitionCount();
    for (let from = 1; from <= events; from += 1000) {
      const tx: ChangeEvent[] = [];
      for (let id = from; id < from + 1000 && id <= events; id++) tx.push(productEvent(id, 1_000_000n + BigInt(from)));
      await appender.append(tx);
    }
    await readAllOnce(log, count); // warm-up
    const results: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const started = process.cpuUsage();
      const read = await readAllOnce(log, count);
      const used = process.cpuUsage(started);
      results.push((used.user + used.system) / read);
    }
    const sorted = [...results].sort((a, b) => a - b);
    process.stdout.write(
      `log read CPU µs/entry: median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)}, min ${sorted[0].toFixed(2)} (${results.map((x) => x.toFixed(2)).join(', ')})\n`,
    );
  } finally {
    await deleteNamespace(redis, namespace);
    redis.disconnect();
  }
}

void main();
