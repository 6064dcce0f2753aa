import { afterAll, describe, expect, it } from 'vitest';
import { ConnectorLease, LogKeys, connectRedis } from '@distributary/changelog';
import { redisUrl, uniqueName, waitFor } from '@distributary/testkit';

const redis = connectRedis({ url: redisUrl() });
const keys = new LogKeys(uniqueName('lease'));

afterAll(async () => {
  await redis.del(keys.connectorLease(), keys.connectorToken());
  redis.disconnect();
});

describe('connector lease', () => {
  it('admits one leader; a standby takes over after expiry with a higher fencing token', async () => {
    const a = new ConnectorLease(redis, keys, 'a', { ttlMs: 300 });
    const b = new ConnectorLease(redis, keys, 'b', { ttlMs: 300 });
    const first = await a.tryAcquire();
    expect(first).toBeGreaterThan(0);
    expect(await b.tryAcquire()).toBeNull();
    expect(await a.renew()).toBe(true);
    // a stops renewing (dies): b takes over once the TTL has passed.
    const second = await waitFor('b acquires', () => b.tryAcquire(), { timeoutMs: 5000, intervalMs: 50 });
    expect(second).toBeGreaterThan(first ?? 0);
    expect(await a.renew()).toBe(false);
    await b.release();
    expect(await b.holder()).toBeNull();
  });
});
