import { afterAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { deleteNamespace, redisUrl, uniqueName } from '@distributary/testkit';
import { ChangeLog, connectRedis } from '@distributary/changelog';

const redis = connectRedis({ url: redisUrl() });
const namespace = uniqueName('facade');
const log = new ChangeLog(redis, namespace, 2);

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

const event = (id: string, lsn: bigint): ChangeEvent => ({
  pos: { lsn, seq: 0 },
  op: 'c',
  table: 'public.t',
  key: { id },
  after: { id },
});

describe('ChangeLog facade', () => {
  it('appends, reads, commits positions, keeps dead letters and pauses sinks through one object', async () => {
    const appender = log.appender();
    await appender.ensurePartitionCount();
    await appender.append([event('1', 10n), event('2', 11n), event('3', 12n)]);
    const stats = await log.stats.all();
    expect(stats.reduce((n, s) => n + s.length, 0)).toBe(3);

    const read = (await Promise.all([0, 1].map((p) => log.read.partition(p)))).flat();
    expect(read.map((e) => e.event.key.id).sort()).toEqual(['1', '2', '3']);

    const partition = stats.findIndex((s) => s.length > 0);
    const [first] = await log.read.range(partition, '-', '+', 1);
    const token = await log.ownership.acquire('s', partition, 'w1', 60_000);
    expect(await log.ownership.holder('s', partition)).toBe('w1');
    await log.positions.commit('s', partition, first.id, token!);
    expect(await log.positions.of('s', partition)).toBe(first.id);
    expect((await log.positions.ofSink('s')).get(partition)).toBe(first.id);
    expect(await log.positions.backlog('s')).toBe(0);

    await log.deadLetters.append('s', partition, first.event, 'bad value');
    expect(await log.deadLetters.count('s')).toBe(1);
    expect(await log.deadLetters.drop('s', 'all')).toBe(1);

    await log.sinks.pause('s');
    expect(await log.sinks.paused()).toEqual(['s']);
    await log.sinks.resume('s');
    expect(await log.sinks.paused()).toEqual([]);

    await log.positions.replay('s');
    expect(await log.positions.of('s', partition)).toBeUndefined();
  });
});
