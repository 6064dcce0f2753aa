import { afterAll, describe, expect, it } from 'vitest';
import { encodeEvent, type ChangeEvent } from '@distributary/core';
import { clusterNodes, redisUrl, uniqueName } from '@distributary/testkit';
import {
  LogKeys,
  MaintenanceJobs,
  acquireLease,
  appendDeadLetter,
  connectRedis,
  listDeadLetters,
  partitionStats,
  type RedisClient,
} from '@distributary/changelog';
import { commitPosition } from './positions';
import { readRange } from './reader';
import { sinkLag } from './stats';
import { compactPartition, trimPartitionByAge } from './compaction';
import { dropDeadLetters } from './dead-letters';
import { deleteNamespace } from '@distributary/testkit';

const targets: Record<string, () => RedisClient> = {
  'single Redis': () => connectRedis({ url: redisUrl() }),
  'Redis Cluster': () => connectRedis({ cluster: clusterNodes().map((n) => `redis://${n.host}:${n.port}`) }),
};

const HOUR = 3_600_000;

describe.each(Object.entries(targets))('log maintenance, stats and dead letters on %s', (_name, connect) => {
  const redis = connect();
  const keys = new LogKeys(uniqueName('maint'));
  let lsn = 1000n;
  afterAll(async () => {
    await deleteNamespace(redis, keys.namespace);
    redis.disconnect();
  });

  let seq = 0;
  /** `sameTransaction`: the entry joins the previous one's transaction (same commit LSN, next seq). */
  async function append(
    partition: number,
    op: ChangeEvent['op'],
    id: string,
    table = 'public.t',
    sameTransaction = false,
  ): Promise<string> {
    if (sameTransaction) seq++;
    else [lsn, seq] = [lsn + 10n, 0];
    const event: ChangeEvent = {
      pos: { lsn, seq },
      op,
      table,
      key: op === 't' ? {} : { id },
      ...(op === 'd' || op === 't' ? {} : { after: { id, payload: 'x'.repeat(200) } }),
      commitTs: new Date(Date.now() - 5000).toISOString(),
    };
    const encoded = encodeEvent(event);
    await redis.xadd(keys.partition(partition), encoded.id, ...Object.entries(encoded.fields).flat());
    return encoded.id;
  }

  const ops = async (partition: number): Promise<string[]> =>
    (await readRange(redis, keys, partition)).map((e) => `${e.event.op}:${String(e.event.key.id ?? '*')}`);

  it('keeps tombstones for their retention, honours minLag, and reports what it reclaimed', async () => {
    await append(0, 'c', '1');
    await append(0, 'u', '1');
    await append(0, 'c', '2');
    await append(0, 'd', '2');
    await append(0, 'c', '3');
    // minLag 1h: nothing is old enough yet
    const young = await compactPartition(redis, keys, 0, { minLag: HOUR, tombstones: 0 });
    expect(young.entriesRemoved).toBe(0);
    expect(young.scanned).toBe(0); // nothing may be removed: the partition is not read
    // tombstones kept for 1h: the superseded versions go, the delete stays
    const kept = await compactPartition(redis, keys, 0, { minLag: 0, tombstones: HOUR });
    expect(await ops(0)).toEqual(['u:1', 'd:2', 'c:3']);
    expect(kept).toMatchObject({ scanned: 5, entriesRemoved: 2, superseded: 2, tombstones: 0 });
    expect(kept.bytesEstimated).toBeGreaterThan(400);
    // retention 0: the tombstone goes too
    const expired = await compactPartition(redis, keys, 0, { minLag: 0, tombstones: 0 });
    expect(expired).toMatchObject({ entriesRemoved: 1, tombstones: 1 });
    expect(await ops(0)).toEqual(['u:1', 'c:3']);
  });

  it('a truncate ends every earlier key of its table only', async () => {
    await append(1, 'c', '1');
    await append(1, 'c', '1', 'public.other');
    await append(1, 'c', '2');
    await append(1, 't', '');
    await append(1, 'c', '3');
    await compactPartition(redis, keys, 1, { minLag: 0, tombstones: HOUR });
    expect(await ops(1)).toEqual(['c:1', 't:*', 'c:3']);
    expect((await readRange(redis, keys, 1))[0].event.table).toBe('public.other');
  });

  it('never removes what a sink has not committed unless forced, and flags the sink', async () => {
    const first = await append(2, 'c', '1');
    await append(2, 'u', '1');
    await append(2, 'u', '1');
    const token = (await acquireLease(redis, keys, 'slow', 2, 'w', 60_000))!;
    await commitPosition(redis, keys, 'slow', 2, first, token);
    // only what the sink has read may go: the first version (superseded, committed); the middle one stays
    const held = await compactPartition(redis, keys, 2, { minLag: 0, tombstones: 0 });
    expect(held.entriesRemoved).toBe(1);
    expect(held.heldBackBy).toEqual(['slow']);
    expect(await ops(2)).toEqual(['u:1', 'u:1']);
    const forced = await compactPartition(redis, keys, 2, { minLag: 0, tombstones: 0 }, { force: true });
    expect(forced.entriesRemoved).toBe(1);
    expect(await ops(2)).toEqual(['u:1']);
  });

  it('keeps every entry of a transaction a sink is in the middle of (a truncate reaches back into it)', async () => {
    await append(6, 'c', '1');
    const inside = await append(6, 'c', '2');
    await append(6, 't', '', 'public.t', true);
    await append(6, 'c', '3', 'public.t', true);
    const token = (await acquireLease(redis, keys, 'mid', 6, 'w', 60_000))!;
    await commitPosition(redis, keys, 'mid', 6, inside, token);
    // c:1 (an earlier transaction, ended by the truncate) may go; c:2 stays for the truncate beside it
    const compacted = await compactPartition(redis, keys, 6, { minLag: 0, tombstones: 0 });
    expect(compacted.entriesRemoved).toBe(1);
    expect(await ops(6)).toEqual(['c:2', 't:*', 'c:3']);
    expect((await trimPartitionByAge(redis, keys, 6, { maxAge: 0 })).entriesRemoved).toBe(0);
  });

  it('time retention trims by age up to the slowest sink', async () => {
    const ids = [await append(3, 'c', '1'), await append(3, 'c', '2'), await append(3, 'c', '3')];
    const token = (await acquireLease(redis, keys, 'reader', 3, 'w', 60_000))!;
    await commitPosition(redis, keys, 'reader', 3, ids[1], token);
    const notOld = await trimPartitionByAge(redis, keys, 3, { maxAge: HOUR });
    expect(notOld.entriesRemoved).toBe(0);
    const trimmed = await trimPartitionByAge(redis, keys, 3, { maxAge: 0 });
    expect(trimmed.entriesRemoved).toBe(2);
    expect(trimmed.heldBackBy).toEqual(['reader']);
    expect((await readRange(redis, keys, 3)).map((e) => e.id)).toEqual([ids[2]]);
  });

  it('stats per partition and lag per sink', async () => {
    const ids = [await append(4, 'c', '1'), await append(4, 'c', '2'), await append(4, 'c', '3')];
    const stats = await partitionStats(redis, keys, 4);
    expect(stats).toMatchObject({ partition: 4, length: 3, firstId: ids[0], lastId: ids[2] });
    expect(stats.memoryBytes).toBeGreaterThan(0);
    const token = (await acquireLease(redis, keys, 'lagging', 4, 'w', 60_000))!;
    await commitPosition(redis, keys, 'lagging', 4, ids[0], token);
    const lag = await sinkLag(redis, keys, 'lagging', 4);
    expect(lag).toMatchObject({ entries: 2, capped: false, bytes: '20' });
    expect(lag.seconds).toBeGreaterThanOrEqual(4);
    await commitPosition(redis, keys, 'lagging', 4, ids[2], token);
    expect(await sinkLag(redis, keys, 'lagging', 4)).toMatchObject({ entries: 0, bytes: '0', seconds: 0 });
  });

  it('runs as a BullMQ job, on demand and scheduled', async () => {
    await append(5, 'c', '1');
    await append(5, 'u', '1');
    const jobs = new MaintenanceJobs({
      redis,
      keys,
      partitions: 7,
      policy: { mode: 'compact', minLag: 0, tombstones: 0, maxAge: HOUR },
      sinks: [],
    });
    try {
      jobs.startWorker();
      const report = await jobs.waitForReport(await jobs.runNow({ partitions: [5], force: true }));
      expect(report).toMatchObject({ mode: 'compact', entriesRemoved: 1 });
      expect(report.bytesEstimated).toBeGreaterThan(0);
      await jobs.schedule(60_000);
      expect((await jobs.queue.getJobSchedulers()).map((s) => s.key)).toEqual(['log-retention']);
      await jobs.unschedule();
      expect(await jobs.queue.getJobSchedulers()).toEqual([]);
    } finally {
      await jobs.queue.obliterate({ force: true });
      await jobs.close();
    }
  });

  it('dead letters: paged list, drop by id and all', async () => {
    const event: ChangeEvent = {
      pos: { lsn: 77n, seq: 1 },
      op: 'c',
      table: 'public.t',
      key: { id: '9' },
      after: { id: '9' },
    };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await appendDeadLetter(redis, keys, 'dl', 2, event, `bad value ${i}`));
    const first = await listDeadLetters(redis, keys, 'dl', { limit: 2 });
    expect(first.items.map((d) => d.error)).toEqual(['bad value 0', 'bad value 1']);
    expect(first.items[0]).toMatchObject({ partition: 2, event });
    const second = await listDeadLetters(redis, keys, 'dl', { limit: 2, after: first.next });
    expect(second.items.map((d) => d.error)).toEqual(['bad value 2', 'bad value 3']);
    expect(await dropDeadLetters(redis, keys, 'dl', [ids[0]])).toBe(1);
    expect(await dropDeadLetters(redis, keys, 'dl', 'all')).toBe(4);
    expect((await listDeadLetters(redis, keys, 'dl')).items).toEqual([]);
  });
});
