import { describe, expect, it } from 'vitest';
import { ConfirmationGate, EVERYSEC_HOLD_BACK_MS, connectRedis, detectDurability } from '@distributary/changelog';
import { clusterNodes, redisUrl } from '@distributary/testkit';

describe('durability', () => {
  it('reads the AOF policy of the real Redis and of every cluster master', async () => {
    for (const redis of [
      connectRedis({ url: redisUrl() }),
      connectRedis({ cluster: clusterNodes().map((n) => `redis://${n.host}:${n.port}`) }),
    ]) {
      const policy = await detectDurability(redis);
      const [, appendonly] = (await (await firstNode(redis)).config('GET', 'appendonly')) as string[];
      if (appendonly !== 'yes') expect(policy.warning).toMatch(/NOT durable/);
      else expect(policy.holdBackMs).toBe(policy.mode === 'always' ? 0 : EVERYSEC_HOLD_BACK_MS);
      redis.disconnect();
    }
  });

  it('confirms at once under appendfsync always, in order and never backwards', () => {
    const confirmed: bigint[] = [];
    const gate = new ConfirmationGate(0, (lsn) => confirmed.push(lsn));
    gate.durable(10n);
    gate.durable(5n);
    gate.durable(20n);
    expect(confirmed).toEqual([10n, 20n]);
    expect(gate.confirmed).toBe(20n);
  });

  it('holds confirmations back by the fsync window under everysec', async () => {
    let now = 0;
    const confirmed: bigint[] = [];
    const gate = new ConfirmationGate(
      50,
      (lsn) => confirmed.push(lsn),
      () => now,
    );
    gate.durable(10n);
    now = 10;
    gate.durable(20n);
    expect(confirmed).toEqual([]);
    now = 55;
    await new Promise((r) => setTimeout(r, 80));
    expect(confirmed).toEqual([10n]);
    now = 100;
    await gate.drain();
    expect(confirmed).toEqual([10n, 20n]);
  });
});

async function firstNode(
  redis: ReturnType<typeof connectRedis>,
): Promise<{ config(...args: string[]): Promise<unknown> }> {
  if ('nodes' in redis) {
    await redis.ping();
    return redis.nodes('master')[0];
  }
  return redis;
}
