import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionFor, type ChangeEvent } from '@distributary/core';
import {
  AppendChain,
  LogAppender,
  LogKeys,
  PartitionCountMismatchError,
  connectRedis,
  decodeTxMarker,
  toLogEntry,
  type RedisClient,
} from '@distributary/changelog';
import { clusterNodes, redisUrl, uniqueName } from '@distributary/testkit';

function event(id: number, lsn: bigint, seq: number, op: ChangeEvent['op'] = 'c'): ChangeEvent {
  return {
    pos: { lsn, seq },
    op,
    table: 'public.items',
    key: op === 't' ? {} : { id },
    after: op === 't' ? undefined : { id, v: `v${id}` },
  };
}

const targets: [string, () => RedisClient][] = [
  ['single Redis', () => connectRedis({ url: redisUrl() })],
  ['Redis Cluster', () => connectRedis({ cluster: clusterNodes().map((n) => `redis://${n.host}:${n.port}`) })],
];

describe.each(targets)('LogAppender on %s', (_name, connect) => {
  let redis: RedisClient;
  let keys: LogKeys;
  const partitions = 4;

  beforeAll(() => {
    redis = connect();
    keys = new LogKeys(uniqueName('app'));
  });

  afterAll(async () => {
    const all = [keys.meta(), keys.transactions(), ...Array.from({ length: partitions }, (_, p) => keys.partition(p))];
    for (const key of all) await redis.del(key);
    redis.disconnect();
  });

  it('appends by partition with explicit IDs and counts a re-append as duplicates, never failing', async () => {
    const appender = new LogAppender(redis, keys, partitions);
    await appender.ensurePartitionCount();
    const batch = Array.from({ length: 20 }, (_, i) => event(i, 1000n, i));
    const markers = [
      { commitLsn: 1000n, marker: { kind: 'begin' as const, xid: 7 } },
      { commitLsn: 1000n, marker: { kind: 'commit' as const, xid: 7, events: 20 } },
    ];
    expect(await appender.append(batch, markers)).toEqual({ appended: 22, duplicates: 0, absent: [] });
    // A crash replay: the same batch plus new events; only the new ones land.
    const replay = [...batch, event(100, 2000n, 0)];
    expect(await appender.append(replay, markers)).toEqual({ appended: 1, duplicates: 22, absent: [] });

    for (let p = 0; p < partitions; p++) {
      const entries = ((await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][]).map(toLogEntry);
      const expected = replay.filter((e) => partitionFor(e.table, e.key, partitions) === p);
      expect(entries.map((e) => e.event)).toEqual(expected);
      expect(entries.map((e) => e.id)).toEqual(expected.map((e) => `${e.pos.lsn}-${e.pos.seq}`));
    }
    const tx = (await redis.xrange(keys.transactions(), '-', '+')) as [string, string[]][];
    expect(tx.map(([id]) => id)).toEqual(['1000-0', '1000-1']);
    expect(decodeTxMarker({ t: tx[1][1][1], e: tx[1][1][3] })).toEqual({
      kind: 'commit',
      xid: 7,
      events: 20,
      commitLsn: '0/3E8',
    });
  });

  it('reports a refused ID that the stream does not hold (a gap) instead of hiding it', async () => {
    const appender = new LogAppender(redis, keys, partitions);
    const late = event(5, 500n, 0);
    const stream = keys.partition(partitionFor(late.table, late.key, partitions));
    const result = await appender.append([late]);
    expect(result).toEqual({ appended: 0, duplicates: 1, absent: [`${stream} 500-0`] });
  });

  it('writes a truncate to every partition', async () => {
    const appender = new LogAppender(redis, keys, partitions);
    expect(await appender.append([event(0, 3000n, 0, 't')])).toEqual({
      appended: partitions,
      duplicates: 0,
      absent: [],
    });
    for (let p = 0; p < partitions; p++) {
      const [last] = (await redis.xrevrange(keys.partition(p), '+', '-', 'COUNT', 1)) as [string, string[]][];
      expect(last[0]).toBe('3000-0');
    }
  });

  it('appends big batches in order (several script calls per stream) and overlapping appends without reordering', async () => {
    const appender = new LogAppender(redis, keys, partitions);
    const first = Array.from({ length: 2600 }, (_, i) => event(i, 5000n, i));
    const second = Array.from({ length: 1500 }, (_, i) => event(i, 6000n, i));
    const [a, b] = await Promise.all([appender.append(first), appender.append(second)]);
    expect(a).toEqual({ appended: 2600, duplicates: 0, absent: [] });
    expect(b).toEqual({ appended: 1500, duplicates: 0, absent: [] });
    for (let p = 0; p < partitions; p++) {
      const ids = ((await redis.xrange(keys.partition(p), '4999-0', '+')) as [string, string[]][]).map(([id]) => id);
      const expected = [...first, ...second]
        .filter((e) => partitionFor(e.table, e.key, partitions) === p)
        .map((e) => `${e.pos.lsn}-${e.pos.seq}`);
      expect(ids).toEqual(expected);
    }
  });

  it('stores every value exactly, whatever its size and characters (packed script argument)', async () => {
    const appender = new LogAppender(redis, keys, partitions);
    // Around the packing's size steps (85 / 21,845 characters, 255 / 65,535 bytes), multi-byte UTF-8,
    // astral characters, NUL and quotes.
    const values = [
      '',
      'a'.repeat(85),
      'a'.repeat(86),
      'é'.repeat(127),
      'é'.repeat(128),
      '€'.repeat(21_845),
      '€'.repeat(21_846),
      'x'.repeat(70_000),
      '😀\u0000"\\\n'.repeat(30_000),
    ];
    const events = values.map((v, i): ChangeEvent => ({
      pos: { lsn: 7000n, seq: i },
      op: 'c',
      table: 'public.items',
      key: { id: i },
      after: { id: i, v },
    }));
    expect(await appender.append(events)).toEqual({ appended: values.length, duplicates: 0, absent: [] });
    const logged: ChangeEvent[] = [];
    for (let p = 0; p < partitions; p++)
      for (const entry of ((await redis.xrange(keys.partition(p), '7000-0', '7000-99')) as [string, string[]][]).map(
        toLogEntry,
      ))
        logged.push(entry.event);
    logged.sort((a, b) => a.pos.seq - b.pos.seq);
    expect(logged).toEqual(events);
  });

  it('never lets a call land after an earlier call of its chain that did not: GAP, nothing appended', async () => {
    const appender = new LogAppender(redis, keys, partitions);
    const chain = new AppendChain();
    const stream = keys.partition(partitionFor('public.items', { id: 1 }, partitions));
    const first = appender.newBatch();
    first.addEvent(event(1, 8000n, 0));
    expect(await appender.write(first, chain)).toEqual({ appended: 1, duplicates: 0, absent: [] });
    // A call sent after it that never reached the stream (MOVED, lost in a restart)…
    chain.next(stream, '8001-0');
    // …so the next call of the chain must not land either.
    const later = appender.newBatch();
    later.addEvent(event(1, 8002n, 0));
    await expect(appender.write(later, chain)).rejects.toThrow(/GAP .* ends at 8000-0, before 8001-0/);
    expect(await redis.xrange(stream, '8001-0', '+')).toEqual([]);
    // The writer's replay (a new chain) fills the stream in order.
    const replay = appender.newBatch();
    replay.addEvent(event(1, 8000n, 0));
    replay.addEvent(event(1, 8001n, 0));
    replay.addEvent(event(1, 8002n, 0));
    expect(await appender.write(replay, new AppendChain())).toEqual({ appended: 2, duplicates: 1, absent: [] });
    // IDs compare as 64-bit text, not as Lua numbers: 2^53 + 1 is above 2^53.
    const big = appender.newBatch();
    big.addEvent(event(1, 9007199254740992n, 0));
    const bigChain = new AppendChain();
    await appender.write(big, bigChain);
    bigChain.next(stream, '9007199254740993-0');
    const after = appender.newBatch();
    after.addEvent(event(1, 9007199254740994n, 0));
    await expect(appender.write(after, bigChain)).rejects.toThrow(/GAP/);
  });

  it('sends chained calls by digest: after a script flush the write fails whole (NOSCRIPT), and the next loads it', async () => {
    const own = new LogKeys(uniqueName('appsha'));
    const appender = new LogAppender(redis, own, partitions);
    const batch = (lsn: bigint) => {
      const b = appender.newBatch();
      for (let id = 1; id <= 8; id++) b.addEvent(event(id, lsn, id));
      return b;
    };
    let chain = new AppendChain();
    expect(await appender.write(batch(12000n), chain)).toMatchObject({ appended: 8 });
    const masters = 'nodes' in redis ? redis.nodes('master') : [redis];
    // Other clients of the shared Redis may load the script again right after the flush: flush until
    // a write meets the empty cache.
    let lsn = 12001n;
    let met = false;
    for (let attempt = 0; attempt < 50 && !met; attempt++, lsn++) {
      for (const node of masters) await node.script('FLUSH');
      const outcome = await appender.write(batch(lsn), chain).catch((error: Error) => error);
      if (!(outcome instanceof Error)) continue;
      expect(outcome.message).toMatch(/^NOSCRIPT/);
      met = true;
      for (let p = 0; p < partitions; p++) expect(await redis.xrange(own.partition(p), `${lsn}-0`, '+')).toEqual([]);
      // The writer's replay (a new chain) loads the script again and fills the streams in order.
      chain = new AppendChain();
      expect(await appender.write(batch(lsn), chain)).toMatchObject({ appended: 8, duplicates: 0 });
    }
    expect(met).toBe(true);
    expect(await appender.write(batch(lsn), chain)).toMatchObject({ appended: 8, duplicates: 0 });
    const logged = [];
    for (let p = 0; p < partitions; p++) logged.push(...(await redis.xrange(own.partition(p), '-', '+')));
    expect(logged).toHaveLength(8 * Number(lsn + 1n - 12000n));
    for (let p = 0; p < partitions; p++) await redis.del(own.partition(p));
  });

  it('refuses a partition count other than the recorded one', async () => {
    await expect(new LogAppender(redis, keys, partitions + 1).ensurePartitionCount()).rejects.toThrow(
      PartitionCountMismatchError,
    );
    await expect(new LogAppender(redis, keys, partitions + 1).ensurePartitionCount()).rejects.toThrow(
      /created with 4 partitions/,
    );
  });
});
