import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '@distributary/changelog';
import { createElasticsearchSink, fanOutKeys, type ElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createTestDatabase, esUrl, redisUrl, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';
import { allDocs, batchOf, dropIndices, rowEvent } from './helpers';
import { fanOutSinkConfig } from './fan-out-config';

/** Fan-out through the durable queue: coalesced across batches, written once per version, kill -9 safe. */
const client = new Client({ node: esUrl() });
const redis: RedisClient = connectRedis({ url: redisUrl() });
const alias = uniqueName('fanout');
const namespace = uniqueName('fanout');
const keys = fanOutKeys(namespace, 'fanout');
const PRODUCTS = 2000;
let db: TestDatabase;
const opened: ElasticsearchSink[] = [];
let child: ChildProcess | undefined;

let paused = false;

async function openSink(owner: string): Promise<ElasticsearchSink> {
  const sink = createElasticsearchSink(fanOutSinkConfig(alias), {
    source: new PgSourceRows(db.url),
    fanOut: {
      redis,
      namespace,
      owner,
      pageSize: 50,
      pollMs: 20,
      lockTtlMs: 1000,
      deadLetter: async () => undefined,
      isPaused: async () => paused,
    },
  });
  await sink.open();
  opened.push(sink);
  return sink;
}

/** Another owner holds the drainer lock: marks accumulate, no pass runs. */
const block = (): Promise<unknown> => redis.set(keys.lock, 'blocker', 'PX', 60_000);
const unblock = (): Promise<unknown> => redis.del(keys.lock);

beforeAll(async () => {
  db = await createTestDatabase('fanout');
  await db.sql(`
    CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, category_id int REFERENCES categories);
    INSERT INTO categories VALUES (1, 'c1'), (2, 'c2');
    INSERT INTO products SELECT g, 'p' || g, CASE WHEN g <= ${PRODUCTS} THEN 1 ELSE 2 END
      FROM generate_series(1, ${PRODUCTS + 10}) g;
  `);
});

afterAll(async () => {
  child?.kill('SIGKILL');
  for (const sink of opened) await sink.close().catch(() => undefined);
  await redis.del(keys.dirty, keys.causes, keys.passes, keys.lock, keys.state, keys.chunks, keys.claims);
  redis.disconnect();
  await dropIndices(client, alias);
  await client.close();
  await db?.drop();
}, 60_000);

describe('elasticsearch sink: durable, coalesced fan-out', () => {
  it('many changes of a lookup row in many batches cost one pass, at the newest version', async () => {
    await block();
    const sink = await openSink('a');
    const rows = await db.sql<{ id: number; name: string; category_id: number }>(`SELECT * FROM products ORDER BY id`);
    const snapshot = rows.map((r) => rowEvent('products', 'r', 1000n, r, { snapshot: 'initial' }));
    for (let i = 0; i < snapshot.length; i += 500) await sink.apply(batchOf(snapshot.slice(i, i + 500)));
    for (let i = 1; i <= 20; i++) {
      await db.sql(`UPDATE categories SET name = 'c2 v${i}' WHERE id = 2`);
      const result = await sink.apply(
        batchOf([rowEvent('categories', 'u', 1000n + BigInt(i), { id: 2, name: `c2 v${i}` })]),
      );
      expect(result.applied).toBe(0); // deferred: nothing re-indexed in the batch
    }
    expect(await redis.zrange(keys.dirty, 0, -1, 'WITHSCORES')).toEqual([
      JSON.stringify([['category_id'], [2]]),
      '1020',
    ]);
    await unblock();
    await waitFor('the pass to finish', async () => (await redis.zcard(keys.dirty)) === 0);
    const docs = await allDocs(client, alias);
    for (let id = PRODUCTS + 1; id <= PRODUCTS + 10; id++) {
      // written once by the pass: version 1020, never 1001..1019
      expect(docs.get(String(id))).toMatchObject({ version: 1020, source: { category: { name: 'c2 v20' } } });
    }
  });

  it('a root written for its own change is not written again by the pass of the same version', async () => {
    await block();
    const sink = opened[0];
    await db.sql(
      `UPDATE categories SET name = 'c2 own' WHERE id = 2; UPDATE products SET name = 'own' WHERE id = ${PRODUCTS + 1}`,
    );
    await sink.apply(
      batchOf([
        rowEvent('products', 'u', 1100n, { id: PRODUCTS + 1, name: 'own', category_id: 2 }),
        rowEvent('categories', 'u', 1100n, { id: 2, name: 'c2 own' }),
      ]),
    );
    const before = (await allDocs(client, alias)).get(String(PRODUCTS + 1));
    expect(before).toMatchObject({ version: 1100, source: { name: 'own', category: { name: 'c2 own' } } });
    const seqBefore = (await client.get({ index: alias, id: String(PRODUCTS + 1) }))._seq_no;
    await unblock();
    await waitFor('the pass to finish', async () => (await redis.zcard(keys.dirty)) === 0);
    const docs = await allDocs(client, alias);
    expect(docs.get(String(PRODUCTS + 2))).toMatchObject({ version: 1100, source: { category: { name: 'c2 own' } } });
    expect((await client.get({ index: alias, id: String(PRODUCTS + 1) }))._seq_no).toBe(seqBefore);
  });

  it('a paused sink runs no pass; resumed, it runs the one owed', async () => {
    paused = true;
    const sink = opened[0];
    await db.sql(`UPDATE categories SET name = 'c2 paused' WHERE id = 2`);
    await sink.apply(batchOf([rowEvent('categories', 'u', 1200n, { id: 2, name: 'c2 paused' })]));
    await new Promise((resolve) => setTimeout(resolve, 500)); // 25 polls of the drainer
    expect(await redis.zcard(keys.dirty)).toBe(1);
    expect((await allDocs(client, alias)).get(String(PRODUCTS + 3))).toMatchObject({ version: 1100 });
    paused = false;
    await waitFor('the pass to finish', async () => (await redis.zcard(keys.dirty)) === 0);
    expect((await allDocs(client, alias)).get(String(PRODUCTS + 3))).toMatchObject({
      version: 1200,
      source: { category: { name: 'c2 paused' } },
    });
  });

  it('kill -9 in the middle of a pass loses nothing: the next drainer resumes at the stored cursor', async () => {
    await block();
    for (const sink of opened.splice(0)) await sink.close();
    const marker = await openSink('marker');
    await db.sql(`UPDATE categories SET name = 'fresh' WHERE id = 1`);
    await marker.apply(batchOf([rowEvent('categories', 'u', 2000n, { id: 1, name: 'fresh' })]));
    await marker.close();
    opened.splice(0);
    child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'fan-out-child.ts')], {
      env: { ...process.env, FAN_OUT_CHILD: JSON.stringify({ sourceUrl: db.url, namespace, alias, pageSize: 20 }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the child to start', async () => output.includes('ready'), { timeoutMs: 60_000 });
    await unblock();
    await waitFor('the child to be in the middle of the pass', async () => (await redis.hlen(keys.passes)) > 0, {
      timeoutMs: 60_000,
      intervalMs: 5,
    });
    child.kill('SIGKILL');
    await new Promise((done) => child?.once('exit', done));
    expect(await redis.zcard(keys.dirty)).toBe(1); // the pass is still owed
    const cursor = JSON.parse((await redis.hvals(keys.passes))[0]) as { version: number; after: { id: number } };
    expect(cursor.version).toBe(2000);
    expect(cursor.after.id).toBeLessThan(PRODUCTS);
    await openSink('successor');
    await waitFor('the successor to finish the pass', async () => (await redis.zcard(keys.dirty)) === 0, {
      timeoutMs: 120_000,
    });
    const docs = await allDocs(client, alias);
    for (let id = 1; id <= PRODUCTS; id++) {
      expect(docs.get(String(id))).toMatchObject({ version: 2000, source: { category: { name: 'fresh' } } });
    }
    expect(await redis.hlen(keys.passes)).toBe(0);
    expect(await redis.hlen(keys.chunks)).toBe(0); // every chunk written, the killed child's claimed one too
  }, 180_000);
});
