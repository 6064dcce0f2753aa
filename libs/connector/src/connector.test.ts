import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type DistributaryConfig } from '@distributary/config';
import { JsonText, SourceShapeError, type ChangeEvent } from '@distributary/core';
import {
  LogKeys,
  PartitionCountMismatchError,
  connectRedis,
  decodeTxMarker,
  readConnectorState,
  toLogEntry,
  type RedisClient,
} from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import {
  createTestDatabase,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
  slotStreaming,
} from '@distributary/testkit';
import { Connector } from './connector';

const PARTITIONS = 3;
let db: TestDatabase;
let redis: RedisClient;
let namespace: string;
let config: DistributaryConfig;
let connector: Connector;
const watermarks: string[] = [];

function startConnector(cfg: DistributaryConfig): Connector {
  const started = new Connector({
    config: cfg,
    logger: silentLogger,
    onLogicalMessage: (message) => void watermarks.push(message.content.toString('utf8')),
  });
  void started.run();
  return started;
}

async function allEvents(): Promise<ChangeEvent[]> {
  const keys = new LogKeys(namespace);
  const events: { id: string; event: ChangeEvent }[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    for (const raw of (await redis.xrange(keys.partition(p), '-', '+')) as [string, string[]][])
      events.push(toLogEntry(raw));
  }
  // A truncate is in every partition: keep one copy for the global view.
  const seen = new Set<string>();
  return events
    .filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)))
    .sort((a, b) =>
      a.event.pos.lsn === b.event.pos.lsn
        ? a.event.pos.seq - b.event.pos.seq
        : a.event.pos.lsn < b.event.pos.lsn
          ? -1
          : 1,
    )
    .map((e) => e.event);
}

async function eventsOf(table: string, count: number): Promise<ChangeEvent[]> {
  return waitFor(`${count} events of ${table}`, async () => {
    const events = (await allEvents()).filter((e) => e.table === table);
    return events.length >= count ? events : undefined;
  });
}

function baseConfig(overrides: {
  tables: string[];
  slot: string;
  publication: string;
  partitions?: number;
  namespace?: string;
}): DistributaryConfig {
  return configSchema.parse({
    source: {
      postgres: {
        url: db.url,
        slot: overrides.slot,
        publication: overrides.publication,
        snapshot: 'never',
        heartbeat: '1s',
      },
      tables: overrides.tables,
      connector: { batchSize: 50, statusEvery: '500ms' },
    },
    log: {
      redis: { url: redisUrl() },
      namespace: overrides.namespace ?? namespace,
      partitions: overrides.partitions ?? PARTITIONS,
    },
  });
}

beforeAll(async () => {
  db = await createTestDatabase('conn');
  redis = connectRedis({ url: redisUrl() });
  namespace = uniqueName('conn');
  await db.sql(`
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
    CREATE TABLE items (id int PRIMARY KEY, name text, qty int);
    CREATE TABLE docs (id bigint PRIMARY KEY, title text, body text);
    CREATE TABLE everything (
      id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, num numeric, num_big numeric(40,20), f4 float4, f8 float8,
      f_nan float8, f_inf float8, f_ninf float8, b bool, t text, vc varchar(10), ch char(4), u uuid, j json,
      jb jsonb, by bytea, d date, tm time, tmtz timetz, ts timestamp, tstz timestamptz, iv interval,
      a_int int[], a_text text[], a_nested int[][], a_ts timestamptz[], a_bytea bytea[], e mood, a_e mood[],
      dom positive_int, ip inet, net cidr, m money);
    CREATE TABLE keyless (a int, b text);
    CREATE TABLE full_ident (a int, b text);
    ALTER TABLE full_ident REPLICA IDENTITY FULL;
  `);
  config = baseConfig({
    tables: ['public.items', 'public.docs', 'public.everything', 'public.full_ident'],
    slot: uniqueName('slot'),
    publication: uniqueName('pub'),
  });
  connector = startConnector(config);
  await waitFor('connector leads and slot exists', async () => {
    return await slotStreaming(db, config.source.postgres.slot);
  });
});

afterAll(async () => {
  await connector?.stop();
  const keys = await redis.keys(`{${namespace}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db?.drop();
});

describe('connector: WAL → log', () => {
  it('logs insert, update, delete with commit LSN positions, seq and transaction markers', async () => {
    await db.sql(`BEGIN; INSERT INTO items VALUES (1, 'one', 10), (2, 'two', 20); COMMIT;`);
    await db.sql(`UPDATE items SET qty = 11 WHERE id = 1`);
    await db.sql(`DELETE FROM items WHERE id = 2`);
    await db.sql(`UPDATE items SET id = 3 WHERE id = 1`);
    const events = await eventsOf('public.items', 6);
    expect(events.map((e) => [e.op, e.key])).toEqual([
      ['c', { id: 1 }],
      ['c', { id: 2 }],
      ['u', { id: 1 }],
      ['d', { id: 2 }],
      ['d', { id: 1 }],
      ['c', { id: 3 }],
    ]);
    expect(events[0].after).toEqual({ id: 1, name: 'one', qty: 10 });
    expect(events[2].after).toEqual({ id: 1, name: 'one', qty: 11 });
    expect(events[5].after).toEqual({ id: 3, name: 'one', qty: 11 });
    // Both rows of the first transaction share its commit LSN; seq runs 0, 1.
    expect(events[0].pos.lsn).toBe(events[1].pos.lsn);
    expect([events[0].pos.seq, events[1].pos.seq]).toEqual([0, 1]);
    expect(events[2].pos.lsn > events[1].pos.lsn).toBe(true);
    expect(events[0].commitTs).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(typeof events[0].xid).toBe('number');

    const markers = ((await redis.xrange(new LogKeys(namespace).transactions(), '-', '+')) as [string, string[]][]).map(
      ([id, flat]) => ({
        id,
        marker: decodeTxMarker(
          Object.fromEntries([
            [flat[0], flat[1]],
            [flat[2], flat[3]],
          ]),
        ),
      }),
    );
    const first = markers.filter((m) => m.id.startsWith(`${events[0].pos.lsn}-`));
    expect(first.map((m) => [m.marker.kind, m.marker.events])).toEqual([
      ['begin', undefined],
      ['commit', 2],
    ]);
  });

  it('round-trips every supported type through the log with full fidelity', async () => {
    await db.sql(`INSERT INTO everything VALUES (
      1, -32768, 2147483647, '9223372036854775807', '12345678901234567890.123456789', '-0.00000000000000000001',
      1.5, 0.1, 'NaN', 'Infinity', '-Infinity', true, 'héllo "quoted"', 'short', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      '{"a": [1, 2.5, null]}', '{"big": 12345678901234567890, "nested": {"x": "y"}}', '\\x00ff10', '2024-02-29', '13:14:15.123456',
      '13:14:15.5+05:30', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.000001+00', '1 year 2 mons 3 days 04:05:06.789',
      '{1,NULL,3}', '{"a b","c,d","e\\"f",NULL,"NULL",""}', '{{1,2},{3,4}}', '{"2024-01-02 03:04:05.123456+00"}', '{"\\\\x0102"}',
      'happy', '{sad,happy}', 42, '192.168.0.1/24', '10.0.0.0/8', 1234.56)`);
    await db.sql(`INSERT INTO everything (id) VALUES (2)`);
    const [full, empty] = await eventsOf('public.everything', 2);
    expect(full.after).toEqual({
      id: 1,
      i2: -32768,
      i4: 2147483647,
      i8: '9223372036854775807',
      num: '12345678901234567890.123456789',
      num_big: '-0.00000000000000000001',
      f4: '1.5',
      f8: '0.1',
      f_nan: 'NaN',
      f_inf: 'Infinity',
      f_ninf: '-Infinity',
      b: true,
      t: 'héllo "quoted"',
      vc: 'short',
      ch: 'ab  ',
      u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      j: new JsonText('{"a": [1, 2.5, null]}'),
      jb: new JsonText('{"big": 12345678901234567890, "nested": {"x": "y"}}'),
      by: Buffer.from([0x00, 0xff, 0x10]).toString('base64'),
      d: '2024-02-29',
      tm: '13:14:15.123456',
      tmtz: '13:14:15.5+05:30',
      ts: '2024-01-02T03:04:05.123456',
      tstz: '2024-01-02T03:04:05.000001Z',
      iv: '1 year 2 mons 3 days 04:05:06.789',
      a_int: [1, null, 3],
      a_text: ['a b', 'c,d', 'e"f', null, 'NULL', ''],
      a_nested: [
        [1, 2],
        [3, 4],
      ],
      a_ts: ['2024-01-02T03:04:05.123456Z'],
      a_bytea: [Buffer.from([1, 2]).toString('base64')],
      e: 'happy',
      a_e: ['sad', 'happy'],
      dom: 42,
      ip: '192.168.0.1/24',
      net: '10.0.0.0/8',
      m: '$1,234.56',
    });
    expect(Object.values(empty.after ?? {}).filter((v) => v !== null)).toEqual([2]);
    expect(Object.keys(empty.after ?? {})).toHaveLength(Object.keys(full.after ?? {}).length);
  });

  it('fills unchanged TOAST values from the log and says so in `filled`', async () => {
    const body = Array.from({ length: 3000 }, () => Math.random().toString(36).slice(2)).join(' ');
    expect(body.length).toBeGreaterThan(4096);
    await db.sql(`ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL`);
    await db.sql(`INSERT INTO docs VALUES (1, 'first', $1)`, [body]);
    await db.sql(`UPDATE docs SET title = 'second' WHERE id = 1`);
    const [, update] = await eventsOf('public.docs', 2);
    expect(update.op).toBe('u');
    expect(update.after).toEqual({ id: '1', title: 'second', body });
    expect(update.filled).toEqual(['body:log']);
  });

  it('fills TOAST from the log stream after a restart, and from the FULL old tuple', async () => {
    // A fresh connector has an empty row cache: the value must come from the partition stream.
    await connector.stop();
    connector = startConnector(config);
    await db.sql(`UPDATE docs SET title = 'third' WHERE id = 1`);
    const docs = await eventsOf('public.docs', 3);
    expect(docs[2].after?.title).toBe('third');
    expect((docs[2].after?.body as string).length).toBeGreaterThan(4096);
    expect(docs[2].filled).toEqual(['body:log']);

    await db.sql(`UPDATE docs SET body = body || 'x', title = 'fourth' WHERE id = 1`);
    const [, , , changed] = await eventsOf('public.docs', 4);
    expect(changed.filled).toBeUndefined();
    expect((changed.after?.body as string).endsWith('x')).toBe(true);
  });

  it('fills TOAST from the FULL old tuple or a re-read when the log has no version', async () => {
    await connector.stop();
    const noLog = configSchema.parse({
      ...config,
      source: { ...config.source, connector: { ...config.source.connector, rowCache: 0, toastScan: 0 } },
    });
    connector = startConnector(noLog);
    const big = Array.from({ length: 2000 }, (_, i) => `${i}:${Math.random().toString(36).slice(2)}`).join(',');
    await db.sql(
      `ALTER TABLE full_ident ADD COLUMN big text; ALTER TABLE full_ident ALTER COLUMN big SET STORAGE EXTERNAL`,
    );
    await db.sql(`INSERT INTO full_ident VALUES (7, 'before', $1)`, [big]);
    await db.sql(`UPDATE full_ident SET b = 'after' WHERE a = 7`);
    await db.sql(`UPDATE docs SET title = 'fifth' WHERE id = 1`);
    const fromOld = (await eventsOf('public.full_ident', 3)).filter(
      (e) => e.key.a === 7 && e.op === 'c' && e.after?.b === 'after',
    );
    expect(fromOld).toHaveLength(1);
    expect(fromOld[0].after?.big).toBe(big);
    expect(fromOld[0].filled).toEqual(['big:old']);
    const reread = (await eventsOf('public.docs', 5))[4];
    expect(reread.after?.title).toBe('fifth');
    expect((reread.after?.body as string).length).toBeGreaterThan(4096);
    expect(reread.filled).toEqual(['body:reread']);
    await connector.stop();
    connector = startConnector(config);
  });

  it('applies schema changes mid-stream without a restart', async () => {
    await db.sql(`INSERT INTO items VALUES (10, 'ten', 1)`);
    await db.sql(`ALTER TABLE items ADD COLUMN price numeric(10,2) DEFAULT 0`);
    await db.sql(`INSERT INTO items VALUES (11, 'eleven', 1, 9.99)`);
    await db.sql(`ALTER TABLE items DROP COLUMN name`);
    await db.sql(`INSERT INTO items VALUES (12, 2, 1.50)`);
    await db.sql(`ALTER TABLE items ALTER COLUMN qty TYPE bigint`);
    await db.sql(`INSERT INTO items VALUES (13, 3, 2.00)`);
    // Streamed changes only: each column change also re-snapshots the table (onSchemaChange: resync).
    const streamed = async () => (await allEvents()).filter((e) => e.table === 'public.items' && !e.snapshot);
    const events = (
      await waitFor('10 streamed events of public.items', async () => {
        const found = await streamed();
        return found.length >= 10 ? found : undefined;
      })
    ).slice(6);
    expect(events.map((e) => e.after)).toEqual([
      { id: 10, name: 'ten', qty: 1 },
      { id: 11, name: 'eleven', qty: 1, price: '9.99' },
      { id: 12, qty: 2, price: '1.50' },
      { id: 13, qty: '3', price: '2.00' },
    ]);
  });

  it('logs truncate in every partition', async () => {
    await db.sql(`TRUNCATE items`);
    const keys = new LogKeys(namespace);
    for (let p = 0; p < PARTITIONS; p++) {
      const last = await waitFor(`truncate in partition ${p}`, async () => {
        const [entry] = (await redis.xrevrange(keys.partition(p), '+', '-', 'COUNT', 1)) as [string, string[]][];
        return entry && toLogEntry(entry).event.op === 't' ? toLogEntry(entry).event : undefined;
      });
      expect(last).toMatchObject({ op: 't', table: 'public.items', key: {} });
    }
  });

  it('keys REPLICA IDENTITY FULL tables by the whole row and keeps the old row', async () => {
    await db.sql(`INSERT INTO full_ident VALUES (1, 'x')`);
    await db.sql(`DELETE FROM full_ident WHERE a = 1`);
    const events = await waitFor('insert and delete of a = 1', async () => {
      const found = (await allEvents()).filter((e) => e.table === 'public.full_ident' && e.key.a === 1);
      return found.length >= 2 ? found : undefined;
    });
    expect(events[1]).toMatchObject({ op: 'd', key: { a: 1, b: 'x', big: null }, before: { a: 1, b: 'x', big: null } });
  });

  it('confirms the slot while published tables are quiet and publishes its status', async () => {
    await db.sql(`CREATE TABLE unrelated (x int); INSERT INTO unrelated SELECT generate_series(1, 100)`);
    const before = (await db.sql<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`))[0].lsn;
    await waitFor('confirmed_flush_lsn passes the quiet write', async () => {
      const rows = await db.sql<{ ok: boolean }>(
        `SELECT confirmed_flush_lsn >= $1::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = $2`,
        [before, config.source.postgres.slot],
      );
      return rows[0]?.ok;
    });
    const state = await waitFor('status hash', async () => {
      const s = await readConnectorState(redis, new LogKeys(namespace));
      return s.leader === connector.instanceId && s.retainedWalBytes !== undefined ? s : undefined;
    });
    expect(state.slot).toBe(config.source.postgres.slot);
  });
});

describe('connector: messages and leadership', () => {
  it("hands logical messages with prefix 'distributary' to the callback, in stream order", async () => {
    await db.sql(`SELECT pg_logical_emit_message(false, 'distributary', 'low-1')`);
    await db.sql(`SELECT pg_logical_emit_message(true, 'other', 'ignored')`);
    await db.sql(
      `BEGIN; SELECT pg_logical_emit_message(true, 'distributary', 'high-1'); INSERT INTO items VALUES (99, 1, 1); COMMIT`,
    );
    await waitFor('both watermarks', async () => watermarks.includes('high-1'));
    const mine = watermarks.filter((w) => !w.startsWith('heartbeat'));
    expect(mine.slice(-2)).toEqual(['low-1', 'high-1']);
    expect(watermarks).not.toContain('ignored');
  });

  it('a leader that loses its lease stops streaming at once, then leads again when it can', async () => {
    const keys = new LogKeys(namespace);
    await waitFor('leading', async () => connector.role === 'leader');
    await redis.set(keys.connectorLease(), 'intruder', 'PX', 4000);
    await waitFor('the replication connection is closed', async () => {
      const rows = await db.sql(`SELECT active FROM pg_replication_slots WHERE slot_name = $1`, [
        config.source.postgres.slot,
      ]);
      return connector.role === 'standby' && rows[0]?.active === false;
    });
    await redis.del(keys.connectorLease());
    await waitFor('leading again', async () => connector.role === 'leader', { timeoutMs: 15_000 });
    await db.sql(`INSERT INTO items VALUES (100, 1, 1)`);
    await waitFor('streaming again', async () => (await allEvents()).some((e) => e.key.id === 100));
  });
});

describe('connector: refusals', () => {
  const otherNamespace = uniqueName('conn_refuse');
  afterAll(async () => {
    const keys = await redis.keys(`{${otherNamespace}:*`);
    if (keys.length) await redis.del(...keys);
  });

  it('refuses a table without a primary key, naming the table and the fix', async () => {
    const bad = new Connector({
      config: baseConfig({
        tables: ['public.keyless'],
        slot: uniqueName('slot'),
        publication: uniqueName('pub'),
        namespace: otherNamespace,
      }),
      logger: silentLogger,
    });
    const error = await bad.run().then(
      () => null,
      (e: unknown) => e,
    );
    await bad.stop();
    expect(error).toBeInstanceOf(SourceShapeError);
    expect(String(error)).toMatch(/public\.keyless has no primary key.*REPLICA IDENTITY FULL/);
  });

  it('refuses a partition count other than the one the log was created with', async () => {
    await redis.hset(new LogKeys(otherNamespace).meta(), 'partitions', '3');
    const bad = new Connector({
      config: baseConfig({
        tables: ['public.items'],
        slot: uniqueName('slot'),
        publication: uniqueName('pub'),
        partitions: 5,
        namespace: otherNamespace,
      }),
      logger: silentLogger,
    });
    const error = await bad.run().then(
      () => null,
      (e: unknown) => e,
    );
    await bad.stop();
    expect(error).toBeInstanceOf(PartitionCountMismatchError);
    expect(String(error)).toMatch(/log\.partitions is 5.*created with 3/);
  });
});
