import { afterAll, describe, expect, it } from 'vitest';
import { FencedError } from '@distributary/core';
import { clusterNodes, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import {
  LogKeys,
  PartitionOwnership,
  acquireLease,
  assignmentFor,
  committedPosition,
  connectRedis,
  releaseLease,
  type PartitionClaim,
  type RedisClient,
} from '@distributary/changelog';
import { commitPosition, resetPosition } from './positions';
import { renewLease } from './leases';
import type { OwnershipOptions } from './ownership';
import { deleteNamespace } from '@distributary/testkit';

const targets = {
  'single Redis': () => connectRedis({ url: redisUrl() }),
  'Redis Cluster': () => connectRedis({ cluster: clusterNodes().map((n) => `redis://${n.host}:${n.port}`) }),
};

describe.each(Object.entries(targets))('leases, fencing and positions on %s', (_name, connect) => {
  const redis: RedisClient = connect();
  const keys = new LogKeys(uniqueName('own'));
  afterAll(async () => {
    await deleteNamespace(redis, keys.namespace);
    redis.disconnect();
  });

  it("refuses a stale owner's commit and never moves a position backwards", async () => {
    // a TTL a loaded machine cannot outlast between two awaits (b must be refused first), short enough to wait out
    const a = await acquireLease(redis, keys, 'search', 0, 'worker-a', 1500);
    expect(a).toBe(1);
    expect(await acquireLease(redis, keys, 'search', 0, 'worker-b', 300)).toBeUndefined();
    await commitPosition(redis, keys, 'search', 0, '100-0', a!);
    // a stops renewing (paused process): the lease expires and b takes over with a new token
    const b = await waitFor('b to take over', () => acquireLease(redis, keys, 'search', 0, 'worker-b', 5000));
    expect(b).toBe(2);
    await expect(commitPosition(redis, keys, 'search', 0, '200-0', a!)).rejects.toBeInstanceOf(FencedError);
    expect(await renewLease(redis, keys, 'search', 0, 'worker-a', 5000, a!)).toBe(false);
    expect(await committedPosition(redis, keys, 'search', 0)).toBe('100-0');
    expect((await commitPosition(redis, keys, 'search', 0, '18446744073709551615-0', b)).advanced).toBe(true);
    const back = await commitPosition(redis, keys, 'search', 0, '18446744073709551614-99', b);
    expect(back).toEqual({ advanced: false, position: '18446744073709551615-0' });
    expect(await releaseLease(redis, keys, 'search', 0, 'worker-a')).toBe(false);
    expect(await releaseLease(redis, keys, 'search', 0, 'worker-b')).toBe(true);
  });

  it('a replay reset moves the position back and fences out the owner', async () => {
    const token = (await acquireLease(redis, keys, 'cache', 1, 'worker-a', 5000))!;
    await commitPosition(redis, keys, 'cache', 1, '500-3', token);
    await resetPosition(redis, keys, 'cache', 1, '10-0');
    expect(await committedPosition(redis, keys, 'cache', 1)).toBe('10-0');
    expect(await renewLease(redis, keys, 'cache', 1, 'worker-a', 5000, token)).toBe(false);
    await expect(commitPosition(redis, keys, 'cache', 1, '600-0', token)).rejects.toBeInstanceOf(FencedError);
  });

  it('two ownership instances split the partitions and rebalance when one leaves', async () => {
    const held = new Map<string, Set<string>>([
      ['w1', new Set()],
      ['w2', new Set()],
    ]);
    const doubleOwned: string[] = [];
    const make = (id: string): PartitionOwnership => {
      const mine = held.get(id)!;
      const name = (c: PartitionClaim): string => `${c.sink}#${c.partition}`;
      return new PartitionOwnership({
        redis,
        keys,
        workerId: id,
        sinks: ['s1', 's2'],
        partitions: 4,
        leaseTtlMs: 1500,
        memberTtlMs: 1500,
        tickMs: 100,
        listener: {
          acquired: (c) => {
            for (const [other, set] of held) if (other !== id && set.has(name(c))) doubleOwned.push(name(c));
            mine.add(name(c));
          },
          revoked: async (c) => void mine.delete(name(c)),
          lost: (c) => void mine.delete(name(c)),
        },
      });
    };
    const w1 = make('w1');
    const w2 = make('w2');
    await w1.start();
    await w2.start();
    await waitFor('an even split', async () => held.get('w1')!.size === 4 && held.get('w2')!.size === 4);
    const expected = assignmentFor(['w1', 'w2'], 'w1', ['s1', 's2'], 4).map((a) => `${a.sink}#${a.partition}`);
    expect([...held.get('w1')!].sort()).toEqual(expected.sort());
    await w2.stop();
    for (const c of w2.claims()) {
      held.get('w2')!.delete(`${c.sink}#${c.partition}`);
      await w2.release(c.sink, c.partition);
    }
    await waitFor('w1 to own everything', async () => held.get('w1')!.size === 8, { timeoutMs: 10_000 });
    await w1.stop();
    expect(doubleOwned).toEqual([]);
  });

  /** Two workers ('w1', 'w2') over one sink of 4 partitions on keys of their own, recording who holds
   *  what, what was acquired twice and what was handed over; `close` stops both and drops the keys. */
  function twoWorkers(prefix: string, timing: Partial<OwnershipOptions>) {
    const pairKeys = new LogKeys(uniqueName(prefix));
    const owners = new Map<string, string>();
    const doubleOwned: string[] = [];
    const handedOver: string[] = [];
    const name = (c: PartitionClaim): string => `${c.sink}#${c.partition}`;
    const make = (id: string): PartitionOwnership =>
      new PartitionOwnership({
        redis,
        keys: pairKeys,
        workerId: id,
        sinks: ['s'],
        partitions: 4,
        ...timing,
        listener: {
          acquired: (c) => {
            if (owners.has(name(c))) doubleOwned.push(name(c));
            owners.set(name(c), id);
          },
          revoked: async (c) => {
            handedOver.push(`${name(c)} from ${id}`);
            owners.delete(name(c));
          },
          lost: (c) => void owners.delete(name(c)),
        },
      });
    const [w1, w2] = [make('w1'), make('w2')];
    const mine = (id: string): string[] => [...owners].filter(([, o]) => o === id).map(([c]) => c);
    const close = async (): Promise<void> => {
      for (const w of [w1, w2]) {
        await w.stop();
        for (const c of w.claims()) await w.release(c.sink, c.partition);
      }
      await deleteNamespace(redis, pairKeys.namespace);
    };
    return { keys: pairKeys, w1, w2, owners, mine, doubleOwned, handedOver, close };
  }

  it('workers started together each take their own share: nothing is handed over', async () => {
    const pair = twoWorkers('own_settle', {
      leaseTtlMs: 1500,
      memberTtlMs: 1500,
      tickMs: 100,
      watchMs: 50,
      settleMs: 10_000,
    });
    try {
      // both processes open their sinks; the second's open takes a little longer
      pair.w1.announceOpening();
      pair.w2.announceOpening();
      const first = pair.w1.start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await Promise.all([first, pair.w2.start()]);
      await waitFor('each owns its share', async () => pair.mine('w1').length === 2 && pair.mine('w2').length === 2);
      const share = (id: string): string[] =>
        assignmentFor(['w1', 'w2'], id, ['s'], 4).map((a) => `${a.sink}#${a.partition}`);
      expect(pair.mine('w1').sort()).toEqual(share('w1').sort());
      expect(pair.mine('w2').sort()).toEqual(share('w2').sort());
      expect(pair.handedOver).toEqual([]);
    } finally {
      await pair.close();
    }
  });

  it('a worker stopped while it waits for another still opening leaves the members and takes nothing', async () => {
    const pair = twoWorkers('own_settle_stop', { leaseTtlMs: 1500, memberTtlMs: 60_000, settleMs: 60_000 });
    try {
      pair.w2.announceOpening(); // and never joins
      const starting = pair.w1.start();
      await waitFor('w1 to join', async () => (await redis.zcard(pair.keys.workers())) === 1);
      await pair.w1.stop();
      await starting;
      await new Promise((resolve) => setTimeout(resolve, 300)); // a heartbeat in flight would have landed
      expect(await redis.zcard(pair.keys.workers())).toBe(0);
      expect(pair.owners.size).toBe(0);
    } finally {
      await pair.close();
    }
  });

  it('a joining worker gets its share between ticks (membership watch), never owned twice', async () => {
    // ticks an hour apart: only the watch between ticks can move partitions within the test
    const pair = twoWorkers('own_watch', {
      leaseTtlMs: 4 * 3_600_000,
      memberTtlMs: 4 * 3_600_000,
      tickMs: 3_600_000,
      watchMs: 50,
    });
    try {
      await pair.w1.start();
      expect(pair.owners.size).toBe(4);
      await pair.w2.start();
      await waitFor(
        'an even split without a tick',
        async () => pair.mine('w1').length === 2 && pair.mine('w2').length === 2,
        {
          timeoutMs: 30_000,
        },
      );
      expect(pair.doubleOwned).toEqual([]);
    } finally {
      await pair.close();
    }
  });
});
