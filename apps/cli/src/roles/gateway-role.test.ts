import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type DistributaryConfig } from '@distributary/config';
import { createTestDatabase, freePort, redisUrl, type TestDatabase, uniqueName } from '@distributary/testkit';
import { startGatewayRole } from './gateway-role';

let db: TestDatabase;
let config: DistributaryConfig;
beforeAll(async () => {
  db = await createTestDatabase('gwrole');
  await db.sql('CREATE TABLE items (id int PRIMARY KEY, category_id int)');
  const name = uniqueName('gwrole');
  config = configSchema.parse({
    source: { postgres: { url: db.url, slot: name, publication: name }, tables: ['public.items'] },
    log: { redis: { url: redisUrl() }, namespace: name, partitions: 2 },
    gateway: { port: await freePort(), keys: [{ kid: 'k', secret: 'gateway-role-test-secret-0123456789' }] },
    subscriptions: [{ name: 'items', table: 'public.items', filter: 'category_id = :c', params: ['c'] }],
  });
}, 60_000);
afterAll(async () => db?.drop(), 60_000);

describe('gateway role', () => {
  it('listens on gateway.port, answers /health/ready and stops', async () => {
    const running = await startGatewayRole(config);
    try {
      const ready = await fetch(`http://127.0.0.1:${config.gateway!.port}/health/ready`);
      expect(ready.status).toBe(200);
      const refused = await fetch(`http://127.0.0.1:${config.gateway!.port}/v1/subscriptions/items?c=1`);
      expect(refused.status).toBe(401);
    } finally {
      await running.stop();
    }
  });

  it('refuses to start without subscriptions', async () => {
    await expect(startGatewayRole({ ...config, subscriptions: undefined })).rejects.toThrow(/subscriptions/);
  });
});
