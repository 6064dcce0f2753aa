import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { TABLE, batch, cacheSuite, ev, targets } from './harness';

describe.each(targets)('redis cache sink query caches on $name', (target) => {
  const suite = cacheSuite(target);

  it('query caches: a row moves between groups (with and without `before`), and leaves on delete', async () => {
    const { client, prefix, open, get, group } = suite;
    const sink = await open({
      queries: [{ key: `${prefix}:category:{category_id}:products`, score: 'price' }],
    });
    const member = `${prefix}:product:1`;
    await sink.apply(batch([ev('c', 100, { id: 1, category_id: 1, price: '10.5' })]));
    expect(await client.zrange(group(1), 0, -1, 'WITHSCORES')).toEqual([member, '10.5']);

    // no `before` image: the row state remembers group 1
    await sink.apply(batch([ev('u', 200, { id: 1, category_id: 2, price: '11' })]));
    expect(await client.zcard(group(1))).toBe(0);
    expect(await client.zrange(group(2), 0, -1, 'WITHSCORES')).toEqual([member, '11']);

    // with a `before` image
    await sink.apply(
      batch([ev('u', 300, { id: 1, category_id: 3, price: '12' }, { before: { id: 1, category_id: 2, price: '11' } })]),
    );
    expect(await client.zcard(group(2))).toBe(0);
    expect(await client.zscore(group(3), member)).toBe('12');

    // redelivery of the whole history changes nothing
    const replay = await sink.apply(
      batch([
        ev('c', 100, { id: 1, category_id: 1, price: '10.5' }),
        ev('u', 200, { id: 1, category_id: 2, price: '11' }),
      ]),
    );
    expect(replay.skippedAsStale).toBe(2);
    expect(await client.zcard(group(1))).toBe(0);
    expect(await client.zcard(group(2))).toBe(0);
    expect(await client.zscore(group(3), member)).toBe('12');

    // a null group column: in no group
    await sink.apply(batch([ev('u', 400, { id: 1, category_id: null, price: '12' })]));
    expect(await client.zcard(group(3))).toBe(0);
    await sink.apply(batch([ev('u', 500, { id: 1, category_id: 3, price: '13' })]));
    expect(await client.zscore(group(3), member)).toBe('13');

    // delete with only the key in the event: removed from its group
    await sink.apply(batch([ev('d', 600, { id: 1 })]));
    expect(await client.zcard(group(3))).toBe(0);
    expect(await get(1)).toBeNull();
    // a late add into the group is refused by the member tombstone
    const late = await sink.apply(batch([ev('u', 550, { id: 1, category_id: 3, price: '1' })]));
    expect(late.skippedAsStale).toBe(1);
    expect(await client.zcard(group(3))).toBe(0);
  });

  it('plain set groups with a custom member, and a key template on a non-key column follows the row', async () => {
    const { client, prefix, open, get, group } = suite;
    const sink = await open({
      key: `${prefix}:product:{slug}`,
      queries: [{ key: `${prefix}:category:{category_id}:products`, member: '{id}' }],
    });
    await sink.apply(batch([ev('c', 100, { id: 1, slug: 'lamp', category_id: 1 })]));
    expect(await client.smembers(group(1))).toEqual(['1']);
    expect(await get('lamp')).toEqual({ id: 1, slug: 'lamp', category_id: 1 });
    await sink.apply(batch([ev('u', 200, { id: 1, slug: 'desk-lamp', category_id: 2 })]));
    expect(await get('lamp')).toBeNull();
    expect(await get('desk-lamp')).toEqual({ id: 1, slug: 'desk-lamp', category_id: 2 });
    expect(await client.smembers(group(1))).toEqual([]);
    expect(await client.smembers(group(2))).toEqual(['1']);
    // a delete carries only the key; the row state knows the slug
    await sink.apply(batch([ev('d', 300, { id: 1 })]));
    expect(await get('desk-lamp')).toBeNull();
    expect(await client.scard(group(2))).toBe(0);
  });

  it('an update that changes the primary key moves the row: old key and old memberships are removed', async () => {
    const { client, prefix, open, get, group } = suite;
    const sink = await open({ queries: [{ key: `${prefix}:category:{category_id}:products`, member: '{id}' }] });
    await sink.apply(batch([ev('c', 100, { id: 1, category_id: 1 })]));
    // default replica identity: `before` holds only the old key columns
    await sink.apply(batch([ev('u', 200, { id: 2, category_id: 2 }, { before: { id: 1 } })]));
    expect(await get(1)).toBeNull();
    expect(await get(2)).toEqual({ id: 2, category_id: 2 });
    expect(await client.smembers(group(1))).toEqual([]);
    expect(await client.smembers(group(2))).toEqual(['2']);
    // a late event of the old key does not bring it back
    expect((await sink.apply(batch([ev('u', 150, { id: 1, category_id: 1 })]))).skippedAsStale).toBe(1);
    expect(await get(1)).toBeNull();
  });

  it('top-N keeps the best members by score; a member pushed out comes back when written again', async () => {
    const { client, prefix, open, group } = suite;
    const sink = await open({
      queries: [{ key: `${prefix}:category:{category_id}:products`, score: 'price', limit: 2, member: '{id}' }],
    });
    const p = (id: number, price: string) => ({ id, category_id: 1, price });
    await sink.apply(batch([ev('c', 100, p(1, '1')), ev('c', 101, p(2, '2')), ev('c', 102, p(3, '3'))]));
    expect(await client.zrange(group(1), 0, -1)).toEqual(['2', '3']);
    await sink.apply(batch([ev('u', 200, p(1, '5'))]));
    expect(await client.zrange(group(1), 0, -1)).toEqual(['3', '1']);
    await sink.apply(batch([ev('d', 300, { id: 3 })]));
    expect(await client.zrange(group(1), 0, -1)).toEqual(['1']); // 2 returns only when written again
    await sink.apply(batch([ev('u', 400, p(2, '2'))]));
    expect(await client.zrange(group(1), 0, -1)).toEqual(['2', '1']);

    // ascending order keeps the lowest
    const asc = await open({
      queries: [{ key: `${prefix}:cheapest:{category_id}`, score: 'price', limit: 2, order: 'asc', member: '{id}' }],
    });
    await asc.apply(batch([ev('c', 100, p(1, '1')), ev('c', 101, p(2, '2')), ev('c', 102, p(3, '0.5'))]));
    expect(await client.zrange(`${prefix}:cheapest:1`, 0, -1)).toEqual(['3', '1']);
  });

  it('a filter: rows enter when they match and leave (key and groups) when they stop matching', async () => {
    const { client, prefix, open, get, group } = suite;
    const sink = await open({
      filter: 'status = "active"',
      queries: [{ key: `${prefix}:category:{category_id}:products`, member: '{id}' }],
    });
    const row = (status: string) => ({ id: 9, status, category_id: 1 });
    await sink.apply(batch([ev('c', 100, row('draft'))]));
    expect(await get(9)).toBeNull();
    expect(await client.scard(group(1))).toBe(0);
    await sink.apply(batch([ev('u', 200, row('active'))]));
    expect(await get(9)).toEqual(row('active'));
    expect(await client.smembers(group(1))).toEqual(['9']);
    await sink.apply(batch([ev('u', 300, row('archived'))]));
    expect(await get(9)).toBeNull();
    expect(await client.scard(group(1))).toBe(0);
    const late = await sink.apply(batch([ev('u', 250, row('active'))]));
    expect(late.skippedAsStale).toBe(1);
    expect(await get(9)).toBeNull();
    await sink.apply(batch([ev('u', 400, row('active'))]));
    expect(await get(9)).toEqual(row('active'));
  });

  it('truncate removes every cached row of the table and its group memberships', async () => {
    const { client, prefix, open, get, group } = suite;
    const sink = await open({ queries: [{ key: `${prefix}:category:{category_id}:products`, member: '{id}' }] });
    await sink.apply(batch([1, 2, 3].map((id) => ev('c', 100 + id, { id, category_id: 1 }))));
    expect(await client.scard(group(1))).toBe(3);
    const truncate: ChangeEvent = { pos: { lsn: 200n, seq: 0 }, op: 't', table: TABLE, key: {} };
    const result = await sink.apply(batch([truncate, ev('c', 201, { id: 2, category_id: 1 })]));
    expect(result.applied).toBe(2);
    expect(await get(1)).toBeNull();
    expect(await get(3)).toBeNull();
    expect(await get(2)).toEqual({ id: 2, category_id: 1 });
    expect(await client.smembers(group(1))).toEqual(['2']);
    // a late pre-truncate write does not come back
    expect((await sink.apply(batch([ev('u', 150, { id: 1, category_id: 1 })]))).skippedAsStale).toBe(1);
    expect(await get(1)).toBeNull();
  });
});
