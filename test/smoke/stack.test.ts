import { Client as Elasticsearch } from '@elastic/elasticsearch';
import Redis from 'ioredis';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, esUrl, redisUrl, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';

describe('local stack smoke tests', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('smoke');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('PostgreSQL: creates a pgoutput slot and streams an insert with pg-logical-replication', async () => {
    const slot = uniqueName('smoke_slot');
    await db.sql(`CREATE TABLE items (id bigint PRIMARY KEY, name text)`);
    await db.sql(`CREATE PUBLICATION smoke_pub FOR TABLE items`);
    await db.sql(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    const service = new LogicalReplicationService(
      { connectionString: db.url },
      { acknowledge: { auto: true, timeoutSeconds: 10 } },
    );
    const received: Pgoutput.Message[] = [];
    service.on('data', (_lsn: string, message: Pgoutput.Message) => {
      received.push(message);
    });
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: ['smoke_pub'] });
    service.subscribe(plugin, slot).catch(() => undefined);
    await db.sql(`INSERT INTO items VALUES (9007199254740993, 'hello')`);
    const insert = await waitFor('the insert to stream', async () =>
      received.find((m): m is Pgoutput.MessageInsert => m.tag === 'insert'),
    );
    expect(insert.new.name).toBe('hello');
    await service.stop();
  });

  it('PostgreSQL: the slot safety settings of scripts/stack.sh are in force (README production checklist)', async () => {
    const rows = await db.sql<{ keep: string; timeout: string }>(
      `SELECT current_setting('max_slot_wal_keep_size') AS keep, current_setting('wal_sender_timeout') AS timeout`,
    );
    expect(rows[0]).toEqual({ keep: '8GB', timeout: '30s' });
  });

  it('Redis: XADD/XRANGE work and AOF is on with fsync always', async () => {
    const redis = new Redis(redisUrl());
    try {
      const stream = uniqueName('smoke:stream');
      await redis.xadd(stream, '100-1', 'e', 'one');
      await redis.xadd(stream, '100-2', 'e', 'two');
      await expect(redis.xadd(stream, '100-2', 'e', 'again')).rejects.toThrow(/equal or smaller/);
      const entries = await redis.xrange(stream, '-', '+');
      expect(entries.map(([id]) => id)).toEqual(['100-1', '100-2']);
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
      await redis.del(stream);
    } finally {
      redis.disconnect();
    }
  });

  it('Elasticsearch: GET / and HEAD / answer like a real node (clients that check the cluster first)', async () => {
    const root = await fetch(`${esUrl()}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const body = (await root.json()) as { cluster_uuid: string; version: { number: string }; tagline: string };
    expect(body.version.number).toMatch(/^8\./);
    expect(body.cluster_uuid.length).toBeGreaterThan(0);
    expect(body.tagline).toBe('You Know, for Search');
    expect((await fetch(`${esUrl()}/`, { method: 'HEAD' })).status).toBe(200);
    const es = new Elasticsearch({ node: esUrl() });
    try {
      expect((await es.info()).version.number).toBe(body.version.number);
      expect(await es.ping()).toBe(true);
    } finally {
      await es.close();
    }
  });

  it('Elasticsearch: indexes and searches a document with a matching client major', async () => {
    const es = new Elasticsearch({ node: esUrl() });
    const index = uniqueName('smoke');
    try {
      const info = await es.cluster.health();
      expect(['green', 'yellow']).toContain(info.status);
      await es.index({ index, id: '1', document: { name: 'distributary' }, refresh: 'wait_for' });
      const result = await es.search<{ name: string }>({ index, query: { match: { name: 'distributary' } } });
      expect(result.hits.hits.map((h) => h._source?.name)).toEqual(['distributary']);
    } finally {
      await es.indices.delete({ index, ignore_unavailable: true });
      await es.close();
    }
  });
});
