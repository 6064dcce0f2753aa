import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { VALUE_VERSION_SUFFIX, companionKey, versionOf } from '../src';
import { CacheWriter } from '../src/write/cache-writer';
import { readRowState, writeRowState } from '../src/plan/row-state';
import { health } from '@distributary/observability';
import { TABLE, batch, cacheSuite, ev, keysMatching, targets } from './harness';

describe.each(targets)('redis cache sink values on $name', (target) => {
  const suite = cacheSuite(target);

  it("keeps DESIGN.md's sketch working: GET returns just the JSON row", async () => {
    const { open, get } = suite;
    const sink = await open();
    const row = { id: 1, name: 'Lamp', price: '12.50', big: '9007199254740993', tags: ['a'], meta: { k: 1 } };
    const result = await sink.apply(batch([ev('c', 100, row)]));
    expect(result).toEqual({ applied: 1, skippedAsStale: 0, rejected: [] });
    expect(await get(1)).toEqual(row);
    expect(sink.tables).toEqual([TABLE]);
    const described = await sink.describe();
    expect(described.description).toContain(TABLE);
    expect(described.partitions).toHaveProperty('0');
    expect(described.durability).toBe('aof-always'); // the local stack runs appendfsync always
    expect((await health.report()).checks['sink:product-cache:cache-redis']).toEqual({ ok: true });
  });

  it('replay and out-of-order redelivery leave the newest value', async () => {
    const { open, get } = suite;
    const sink = await open();
    const v = (lsn: number, name: string, seq = 0) => ev('u', lsn, { id: 7, name }, { seq });
    await sink.apply(batch([ev('c', 100, { id: 7, name: 'v1' }), v(200, 'v2'), v(300, 'v3')]));
    expect(await get(7)).toEqual({ id: 7, name: 'v3' });

    // the whole stretch again (crash before the position commit), then an out-of-order old event
    const replay = await sink.apply(batch([ev('c', 100, { id: 7, name: 'v1' }), v(200, 'v2'), v(300, 'v3')]));
    expect(replay.skippedAsStale).toBe(2);
    expect(replay.applied).toBe(1); // the same event again is an idempotent rewrite
    const late = await sink.apply(batch([v(250, 'late')]));
    expect(late).toEqual({ applied: 0, skippedAsStale: 1, rejected: [] });
    expect(await get(7)).toEqual({ id: 7, name: 'v3' });

    // two changes of one row inside one transaction: the sequence orders them
    await sink.apply(batch([v(400, 'tx-first', 1), v(400, 'tx-second', 2)]));
    expect(await get(7)).toEqual({ id: 7, name: 'tx-second' });
    await sink.apply(batch([v(400, 'tx-first', 1)]));
    expect(await get(7)).toEqual({ id: 7, name: 'tx-second' });

    // LSNs beyond 2^53 compare exactly (no float rounding in Lua)
    const big = 2n ** 60n;
    await sink.apply(batch([{ ...v(0, 'big+1'), pos: { lsn: big + 1n, seq: 0 } }]));
    const stale = await sink.apply(batch([{ ...v(0, 'big'), pos: { lsn: big, seq: 0 } }]));
    expect(stale.skippedAsStale).toBe(1);
    expect(await get(7)).toEqual({ id: 7, name: 'big+1' });
  });

  it('a delete leaves a versioned tombstone: a late older write does not resurrect the key', async () => {
    const { client, prefix, open, get } = suite;
    const sink = await open({ tombstoneTtl: '10m' });
    await sink.apply(batch([ev('c', 100, { id: 3, name: 'x' }), ev('d', 200, { id: 3 })]));
    expect(await get(3)).toBeNull();
    const late = await sink.apply(batch([ev('u', 150, { id: 3, name: 'late' })]));
    expect(late.skippedAsStale).toBe(1);
    expect(await get(3)).toBeNull();
    const tombstone = companionKey(`${prefix}:product:3`, VALUE_VERSION_SUFFIX);
    expect(await client.get(tombstone)).toMatch(/^\d{30}:d$/);
    const pttl = await client.pttl(tombstone);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(600_000);
    // a newer insert of the same key is welcome
    await sink.apply(batch([ev('c', 300, { id: 3, name: 'again' })]));
    expect(await get(3)).toEqual({ id: 3, name: 'again' });
    expect(await client.pttl(tombstone)).toBe(-1);
  });

  it('the per-key version guards hold on their own, without the row state (lost, or a crash mid-event)', async () => {
    const { client, prefix, open, get, group } = suite;
    const sink = await open({
      queries: [{ key: `${prefix}:category:{category_id}:products`, score: 'price', member: '{id}' }],
    });
    const forgetRowStates = async () => {
      for (const key of await keysMatching(client, `${prefix}:state*`)) await client.del(key);
    };
    const row = (id: number, category_id: number, price: string) => ({ id, category_id, price });
    await sink.apply(batch([ev('c', 100, row(1, 1, '1')), ev('u', 300, row(1, 2, '3'))]));
    await sink.apply(batch([ev('c', 100, row(2, 1, '1')), ev('d', 300, { id: 2 })]));
    await forgetRowStates();

    const late = await sink.apply(
      batch([
        ev('u', 200, row(1, 2, '2')),
        ev('u', 200, row(2, 1, '2')),
        ev('d', 250, { id: 1 }, { before: row(1, 2, '3') }), // a late delete must not remove newer state
      ]),
    );
    expect(late.skippedAsStale).toBe(3);
    expect(await get(1)).toEqual(row(1, 2, '3'));
    expect(await get(2)).toBeNull(); // the value tombstone refuses the resurrection
    expect(await client.zrange(group(2), 0, -1, 'WITHSCORES')).toEqual(['1', '3']);
    expect(await client.zrange(group(1), 0, -1)).toEqual([]); // the member tombstone refuses it too
  });

  it('the row-state record itself is compare-and-set (a late writer cannot move it back)', async () => {
    const { client, prefix, open } = suite;
    await open();
    const key = `${prefix}:state:row:x`;
    const state = (v: number, cacheKey: string) => ({
      version: versionOf({ lsn: BigInt(v), seq: 0 }),
      cacheKey,
      memberships: [],
      gone: false,
    });
    const options = { tombstoneTtlMs: 60_000, timeoutMs: 5_000 };
    expect(await writeRowState(client, key, state(300, 'new'), options)).toBe(true);
    expect(await writeRowState(client, key, state(200, 'old'), options)).toBe(false);
    expect((await readRowState(client, key, 5_000))?.cacheKey).toBe('new');
    expect(await writeRowState(client, key, { ...state(400, 'gone'), gone: true }, options)).toBe(true);
    const pttl = await client.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('a crash part-way through an event: redelivery completes it (equal versions rewrite idempotently)', async () => {
    const { client, prefix, open, get, group } = suite;
    const sink = await open({ queries: [{ key: `${prefix}:category:{category_id}:products`, member: '{id}' }] });
    await sink.apply(batch([ev('c', 100, { id: 1, category_id: 1 })]));
    const move = ev('u', 200, { id: 1, category_id: 2 });
    // the crashed attempt got only as far as the value write
    const writer = new CacheWriter(client, { ttlMs: 0, tombstoneTtlMs: 60_000, commandTimeoutMs: 5_000, limits: [] });
    await writer.writeValue(`${prefix}:product:1`, versionOf(move.pos), {
      format: 'json',
      document: JSON.stringify(move.after),
    });
    expect(await client.smembers(group(1))).toEqual(['1']);
    const redelivered = await sink.apply(batch([ev('c', 100, { id: 1, category_id: 1 }), move]));
    expect(redelivered).toMatchObject({ applied: 1, skippedAsStale: 1 });
    expect(await get(1)).toEqual({ id: 1, category_id: 2 });
    expect(await client.smembers(group(1))).toEqual([]);
    expect(await client.smembers(group(2))).toEqual(['1']);
  });

  it('replaying the log after a config change refreshes the cache (equal versions rewrite)', async () => {
    const { prefix, open, get, client } = suite;
    const log = [ev('c', 100, { id: 1, name: 'Lamp', price: '5' }), ev('c', 101, { id: 2, name: 'Desk', price: '9' })];
    const before = await open({ namespace: `${prefix}:state`, value: { fields: ['name'] } });
    await before.apply(batch(log));
    expect(await get(1)).toEqual({ name: 'Lamp' });
    const after = await open({
      namespace: `${prefix}:state`,
      value: { fields: ['name', 'price'] },
      filter: '$number(price) < 8',
    });
    const replay = await after.apply(batch(log));
    expect(replay).toMatchObject({ applied: 2, skippedAsStale: 0 });
    expect(await get(1)).toEqual({ name: 'Lamp', price: '5' });
    expect(await get(2)).toBeNull(); // now filtered out
    expect(await client.get(companionKey(`${prefix}:product:2`, VALUE_VERSION_SUFFIX))).toMatch(/:d$/);
  });

  it('TTL is set on values (PTTL) and the version outlives the value by the tombstone TTL', async () => {
    const { client, prefix, open } = suite;
    const sink = await open({ ttl: '1h', tombstoneTtl: '30m' });
    await sink.apply(batch([ev('c', 100, { id: 1, name: 'a' })]));
    const valueTtl = await client.pttl(`${prefix}:product:1`);
    expect(valueTtl).toBeGreaterThan(3_500_000);
    expect(valueTtl).toBeLessThanOrEqual(3_600_000);
    const versionTtl = await client.pttl(companionKey(`${prefix}:product:1`, VALUE_VERSION_SUFFIX));
    expect(versionTtl).toBeGreaterThan(3_600_000);
    expect(versionTtl).toBeLessThanOrEqual(5_400_000);
  });

  it('hash values: projection with renames, HGETALL shows only the row fields, TTL applies', async () => {
    const { client, prefix, open } = suite;
    const sink = await open({
      ttl: '5m',
      value: { format: 'hash', fields: { title: 'name', cost: 'price', n: 'stock', on: 'active', note: 'note' } },
    });
    const row = { id: 5, name: 'Desk', price: '99.90', stock: 4, active: true, note: null, secret: 'x' };
    await sink.apply(batch([ev('c', 100, row)]));
    expect(await client.hgetall(`${prefix}:product:5`)).toEqual({ title: 'Desk', cost: '99.90', n: '4', on: 'true' });
    const pttl = await client.pttl(`${prefix}:product:5`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300_000);
    await sink.apply(batch([ev('u', 200, { ...row, note: 'fragile', stock: 3 })]));
    expect(await client.hgetall(`${prefix}:product:5`)).toEqual({
      title: 'Desk',
      cost: '99.90',
      n: '3',
      on: 'true',
      note: 'fragile',
    });
    await sink.apply(batch([ev('u', 150, { ...row, name: 'stale' })]));
    expect((await client.hgetall(`${prefix}:product:5`)).title).toBe('Desk');
  });

  it('JSON projection with a list of fields, and a key of several columns', async () => {
    const { client, prefix, open } = suite;
    const sink = await open({ key: `${prefix}:shop:{shop}:sku:{sku}`, value: { fields: ['name'] } });
    await sink.apply(batch([ev('c', 100, { id: 1, shop: 'eu', sku: 'A-1', name: 'Chair' })]));
    expect(await client.get(`${prefix}:shop:eu:sku:A-1`)).toBe('{"name":"Chair"}');
  });

  it('keys with a {hash tag} keep their version in the same slot', async () => {
    const { client, prefix, open } = suite;
    const sink = await open({ key: `{{${prefix}:{shop}}}:sku:{sku}` });
    await sink.apply(batch([ev('c', 100, { id: 1, shop: 'eu', sku: 'A-1' })]));
    expect(await client.get(`{${prefix}:eu}:sku:A-1`)).toBe('{"id":1,"shop":"eu","sku":"A-1"}');
    expect(await client.get(`{${prefix}:eu}:sku:A-1\u0000ver`)).toBe(
      `${'100'.padStart(20, '0')}${'0'.padStart(10, '0')}`,
    );
  });

  it('events of other tables are ignored', async () => {
    const { open, get } = suite;
    const sink = await open();
    const other: ChangeEvent = { ...ev('c', 100, { id: 1 }), table: 'public.orders' };
    expect(await sink.apply(batch([other]))).toEqual({ applied: 1, skippedAsStale: 0, rejected: [] });
    expect(await get(1)).toBeNull();
  });
});
