import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { VALUE_VERSION_SUFFIX, companionKey } from '../src/target/slots';
import { TABLE, batch, cacheSuite, ev, targets } from './harness';

/**
 * An event's writes (value, group memberships, row record) are all or nothing: a failure injected
 * between the steps — a group key of the wrong type, met after the value write — leaves nothing of
 * the event in Redis, so the row record always covers what is there and a TRUNCATE removes it all.
 */
describe.each(targets)('redis cache sink: one event, all or nothing, on $name', (target) => {
  const suite = cacheSuite(target);
  const rowRecord = (id: number) => `${suite.prefix}:state:row:${TABLE}:[["id",${id}]]`;

  it('a WRONGTYPE on the second write leaves neither the value nor the row record', async () => {
    const { client, prefix, open, get, group } = suite;
    const sink = await open({ queries: [{ key: `${prefix}:category:{category_id}:products`, member: '{id}' }] });
    await client.set(group(2), 'not a set');

    const fresh = await sink.apply(batch([ev('c', 100, { id: 2, category_id: 2 })]));
    expect(fresh.rejected).toHaveLength(1);
    expect(fresh.rejected[0].error).toMatch(/WRONGTYPE/);
    expect(await get(2)).toBeNull();
    expect(await client.exists(companionKey(`${prefix}:product:2`, VALUE_VERSION_SUFFIX))).toBe(0);
    expect(await client.exists(rowRecord(2))).toBe(0);

    // A row already cached, moved into the broken group: it stays exactly as it was.
    await sink.apply(batch([ev('c', 200, { id: 3, category_id: 1, name: 'old' })]));
    const before = await client.hgetall(rowRecord(3));
    const moved = await sink.apply(batch([ev('u', 300, { id: 3, category_id: 2, name: 'new' })]));
    expect(moved.rejected).toHaveLength(1);
    expect(await get(3)).toEqual({ id: 3, category_id: 1, name: 'old' });
    expect(await client.smembers(group(1))).toEqual(['3']);
    expect(await client.hgetall(rowRecord(3))).toEqual(before);

    // Later, a TRUNCATE goes by the row records: nothing is left behind.
    const truncate: ChangeEvent = { pos: { lsn: 400n, seq: 0 }, op: 't', table: TABLE, key: {} };
    await sink.apply(batch([truncate]));
    expect(await get(3)).toBeNull();
    expect(await get(2)).toBeNull();
    expect(await client.smembers(group(1))).toEqual([]);
  });

  it('applies value, memberships and record together when every key is fine', async () => {
    const { client, prefix, open, get, group } = suite;
    const sink = await open({ queries: [{ key: `${prefix}:category:{category_id}:products`, member: '{id}' }] });
    const first = await sink.apply(batch([ev('c', 100, { id: 5, category_id: 1 })]));
    expect(first.applied).toBe(1);
    const moved = await sink.apply(batch([ev('u', 200, { id: 5, category_id: 2 })]));
    expect(moved.applied).toBe(1);
    expect(await get(5)).toEqual({ id: 5, category_id: 2 });
    expect(await client.smembers(group(1))).toEqual([]);
    expect(await client.smembers(group(2))).toEqual(['5']);
    expect((await client.hgetall(rowRecord(5))).k).toBe(`${prefix}:product:5`);
    const again = await sink.apply(batch([ev('u', 150, { id: 5, category_id: 1 })]));
    expect(again.skippedAsStale).toBe(1);
  });
});
