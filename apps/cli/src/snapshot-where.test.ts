import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, LogKeys, type RedisClient } from '@distributary/changelog';
import { SnapshotRequests } from '@distributary/control';
import { createTestDatabase, deleteNamespace, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { runInProcess } from './test-support/in-process';

/** `distributary snapshot --where` goes through the same check as the admin API: a refused condition
 *  exits 1 naming the problem, records no snapshot and runs nothing on the source. */
let dir: string;
let file: string;
let db: TestDatabase;
let redis: RedisClient;
let namespace: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'distributary-snapwhere-'));
  db = await createTestDatabase('snapwhere');
  await db.sql(`CREATE TABLE items (id int PRIMARY KEY, v int)`);
  namespace = uniqueName('snapwhere');
  redis = connectRedis({ url: redisUrl() });
  file = join(dir, 'distributary.yaml');
  writeFileSync(
    file,
    [
      'source:',
      `  postgres: { url: "${db.url}", slot: ${namespace}, publication: ${namespace} }`,
      '  tables: [public.items]',
      'log:',
      `  redis: { url: "${redisUrl()}" }`,
      `  namespace: ${namespace}`,
      'sinks:',
      '  - name: cache',
      `    redis: { url: "${redisUrl()}" }`,
      '    from: public.items',
      '    key: "i:{id}"',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  if (redis) {
    await deleteNamespace(redis, namespace);
    redis.disconnect();
  }
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('distributary snapshot --where', () => {
  it('refuses SQL injection: exit 1, nothing recorded, nothing created', async () => {
    const result = await runInProcess([
      'snapshot',
      '--config',
      file,
      '--where',
      'id = -1; CREATE TABLE public.injected (x int); --',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--where: a ";"/);
    expect(await new SnapshotRequests(redis, new LogKeys(namespace)).list()).toEqual([]);
    expect(await db.sql(`SELECT 1 FROM pg_class WHERE relname = 'injected'`)).toEqual([]);
  });

  it('queues a plain condition, stored as rendered from its AST', async () => {
    const result = await runInProcess([
      'snapshot',
      '--config',
      file,
      '--where',
      "v >= 3 AND lower(v::text) <> 'x'",
      '--json',
    ]);
    expect(result.code).toBe(0);
    const [record] = await new SnapshotRequests(redis, new LogKeys(namespace)).list();
    expect(record).toMatchObject({
      table: 'public.items',
      status: 'queued',
      where: "v >= 3 AND pg_catalog.lower(v::text) <> 'x'",
    });
  });
});
