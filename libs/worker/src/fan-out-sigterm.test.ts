import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogKeys, connectRedis, type RedisClient } from '@distributary/changelog';
import { fanOutKeys } from '@distributary/sink-elasticsearch';
import {
  createTestDatabase,
  deleteNamespace,
  esUrl,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@distributary/testkit';
import { appendEvents } from './testing/append-events';

const PRODUCTS = 20_000;
const PARTITIONS = 4;
const GRACE_MS = 25_000;
const workerScript = resolve(__dirname, 'testing/fan-out-worker.ts');

/**
 * A big fan-out in progress (a category rename re-indexing 20,000 products, page by page, in the
 * background) when the worker gets SIGTERM: it exits cleanly within the termination grace (25 s; the
 * only timing bound, a generous one), the pass stays owed in Redis, and the next worker finishes it.
 */
describe('sink worker: SIGTERM during a big fan-out', () => {
  const redis: RedisClient = connectRedis({ url: redisUrl() });
  const es = new Client({ node: esUrl() });
  const namespace = uniqueName('fanterm');
  const index = uniqueName('fanterm').replace(/_/g, '-');
  const keys = new LogKeys(namespace);
  const queue = fanOutKeys(namespace, 'docs');
  const children: ChildProcess[] = [];
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('fanterm');
    await db.sql(`
      CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
      CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, category_id int REFERENCES categories);
      INSERT INTO categories VALUES (1, 'renamed');
      INSERT INTO products SELECT g, 'p' || g, 1 FROM generate_series(1, ${PRODUCTS}) g;
    `);
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await deleteNamespace(redis, namespace);
    await redis.del(queue.dirty, queue.causes, queue.passes, queue.lock, queue.chunks, queue.claims);
    redis.disconnect();
    const found = await es.indices.get({ index: `${index}*`, expand_wildcards: 'all' }).catch(() => ({}));
    for (const name of Object.keys(found)) await es.indices.delete({ index: name }).catch(() => undefined);
    await es.close();
    await db?.drop();
  }, 60_000);

  function start(workerId: string): { child: ChildProcess; output: () => string } {
    const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
      env: {
        ...process.env,
        FAN_OUT_WORKER: JSON.stringify({ namespace, partitions: PARTITIONS, workerId, sourceUrl: db.url, index }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return { child, output: () => output };
  }

  it('exits within the grace with the pass still owed; the next worker finishes it', async () => {
    const first = start('first');
    await waitFor('the worker to start', async () => first.output().includes('ready'), { timeoutMs: 90_000 });
    await appendEvents(redis, keys, PARTITIONS, [
      {
        pos: { lsn: 5000n, seq: 0 },
        op: 'u',
        table: 'public.categories',
        key: { id: 1 },
        after: { id: 1, name: 'renamed' },
      },
    ]);
    await waitFor('the pass to be under way', async () => (await redis.hlen(queue.passes)) > 0, {
      timeoutMs: 90_000,
      intervalMs: 5,
    });
    const termAt = Date.now();
    const exited = new Promise<number | null>((done) => first.child.once('exit', (code) => done(code)));
    first.child.kill('SIGTERM');
    const code = await exited;
    expect(Date.now() - termAt).toBeLessThan(GRACE_MS);
    expect(code).toBe(0);
    expect(first.output()).toContain('stopped');
    expect(await redis.zcard(queue.dirty)).toBe(1); // not finished: still owed, durably

    const second = start('second');
    await waitFor('the next worker to finish the pass', async () => (await redis.zcard(queue.dirty)) === 0, {
      timeoutMs: 240_000,
    });
    await es.indices.refresh({ index });
    const count = await es.count({ index, query: { term: { 'category.name.keyword': 'renamed' } } });
    expect(count.count).toBe(PRODUCTS);
    second.child.kill('SIGTERM');
  }, 400_000);
});
