import { describe, expect, it } from 'vitest';
import type { Row } from '@distributary/core';
import { ownerKey, rowStateKey } from '../src/plan/row-state';
import { isCompanionKey } from '../src/target/slots';
import { TABLE, batch, cacheSuite, ev, keysMatching, targets } from './harness';

/**
 * Keys are rendered from DATA, so a row may render exactly the name the sink would give another
 * row's bookkeeping (its version companion, a group's versions or tombstones). Each scenario holds
 * two rows whose ids are chosen to do that under the old `<key>:ver` / `{<key>}:ver` layout; both
 * rows must keep their own value through creates, updates and deletes, whatever order they come in.
 */
describe.each(targets)('redis cache sink: a key rendered from data never names bookkeeping, on $name', (target) => {
  const suite = cacheSuite(target);

  const read = async (key: string): Promise<unknown> => {
    const text = await suite.client.get(key);
    return text === null ? null : JSON.parse(text);
  };

  /** Rows `a` and `b` (ids as given), key template `template`, written in both orders. */
  async function bothSurvive(
    template: string,
    idOf: (prefix: string) => [string, string],
    render: (id: string) => string,
  ) {
    for (const order of [0, 1]) {
      await suite.renew('rcc');
      const { prefix, open } = suite;
      const ids = idOf(prefix);
      const [first, second] = order === 0 ? ids : [ids[1], ids[0]];
      const key = (id: string) => render(id).replaceAll('<prefix>', prefix);
      const sink = await open({ key: template.replaceAll('<prefix>', prefix) });
      const row = (id: string, name: string): Row => ({ id, name });
      // Two rows live in different log partitions, so their events may arrive in either log order.
      const steps = [
        ev('c', 200, row(first, 'first v1')),
        ev('c', 100, row(second, 'second v1')),
        ev('u', 400, row(first, 'first v2')),
        ev('u', 300, row(second, 'second v2')),
      ];
      for (const step of steps) {
        const result = await sink.apply(batch([step]));
        expect(result.rejected, JSON.stringify(step.after)).toEqual([]);
        expect(result.applied).toBe(1);
      }
      expect(await read(key(first))).toEqual(row(first, 'first v2'));
      expect(await read(key(second))).toEqual(row(second, 'second v2'));

      // Every key the sink wrote under this prefix is a user value, or bookkeeping that says so.
      const values = (await keysMatching(suite.client, `*${prefix}*`)).filter((k) => !isCompanionKey(k));
      expect(values.filter((k) => !k.startsWith(`${prefix}:state`)).sort()).toEqual([key(first), key(second)].sort());

      const gone = await sink.apply(batch([ev('d', 500, row(first, 'first v2'))]));
      expect(gone.applied).toBe(1);
      expect(await read(key(first))).toBeNull();
      expect(await read(key(second))).toEqual(row(second, 'second v2'));
      // An older replay of the deleted row is still refused (its tombstone is intact).
      const late = await sink.apply(batch([ev('u', 450, row(first, 'late'))]));
      expect(late.applied).toBe(0);
      expect(await read(key(first))).toBeNull();
    }
  }

  it('a row whose key is another row’s `<key>:ver` (key with a hash tag)', async () => {
    await bothSurvive(
      '{{<prefix>}}:user:{id}',
      () => ['1', '1:ver'],
      (id) => `{<prefix>}:user:${id}`,
    );
  });

  it('ids that bring their own hash tag: `{braces}` and `{braces}:ver`', async () => {
    await bothSurvive(
      '<prefix>:p:{id}',
      () => ['{braces}', '{braces}:ver'],
      (id) => `<prefix>:p:${id}`,
    );
  });

  it('a key rendered to `{<key>}:ver` next to the untagged `<key>`', async () => {
    await bothSurvive(
      '{id}',
      (prefix) => [`${prefix}:product:42`, `{${prefix}:product:42}:ver`],
      (id) => id,
    );
  });

  it('a tagged key `{<key>}` next to the untagged `<key>` (their companions must differ)', async () => {
    await bothSurvive(
      '{id}',
      (prefix) => [`${prefix}:product:42`, `{${prefix}:product:42}`],
      (id) => id,
    );
  });

  it('a group rendered to another group’s `:gone` / `:ver` name keeps both groups whole', async () => {
    const { prefix, open, client } = suite;
    const sink = await open({ queries: [{ key: '{category_id}', member: '{id}' }] });
    const group = `${prefix}:g:c`;
    const categories = [group, `{${group}}:gone`, `{${group}}:ver`];
    let lsn = 100;
    for (const [i, category] of categories.entries()) {
      const result = await sink.apply(batch([ev('c', (lsn += 100), { id: i + 1, category_id: category })]));
      expect(result.rejected).toEqual([]);
    }
    // Row 1 leaves its group (a tombstone is written for it), then every row moves once more.
    const moved = await sink.apply(batch([ev('u', (lsn += 100), { id: 1, category_id: `${prefix}:g:d` })]));
    expect(moved.rejected).toEqual([]);
    expect(await client.smembers(group)).toEqual([]);
    expect(await client.smembers(`${prefix}:g:d`)).toEqual(['1']);
    expect(await client.smembers(`{${group}}:gone`)).toEqual(['2']);
    expect(await client.smembers(`{${group}}:ver`)).toEqual(['3']);
    const back = await sink.apply(batch([ev('u', (lsn += 100), { id: 2, category_id: group })]));
    expect(back.rejected).toEqual([]);
    expect(await client.smembers(group)).toEqual(['2']);
    expect(await client.smembers(`{${group}}:gone`)).toEqual([]);
  });

  it('a key rendered to a row record or the owner marker of the namespace is dead-lettered', async () => {
    const { prefix, open, client } = suite;
    const namespace = `${prefix}:state`;
    const sink = await open({ key: '{id}', namespace });
    const x = `${prefix}:x`;
    expect((await sink.apply(batch([ev('c', 100, { id: x, name: 'x v1' })]))).applied).toBe(1);
    const record = rowStateKey(namespace, TABLE, { id: x });
    for (const [lsn, id] of [
      [200, record],
      [300, ownerKey(namespace)],
    ] as const) {
      const result = await sink.apply(batch([ev('c', lsn, { id, name: 'intruder' })]));
      expect(result.rejected).toHaveLength(1);
      expect(result.rejected[0].error).toMatch(/row records/);
    }
    expect(await client.hget(record, 'k')).toBe(x);
    expect(await client.get(ownerKey(namespace))).toBe('distributary/product-cache');
    const updated = await sink.apply(batch([ev('u', 400, { id: x, name: 'x v2' })]));
    expect(updated.rejected).toEqual([]);
    expect(await read(x)).toEqual({ id: x, name: 'x v2' });
  });

  it('a rendered key holding U+0000 (reserved for bookkeeping) is dead-lettered, nothing written', async () => {
    const { prefix, open, client } = suite;
    const sink = await open();
    const result = await sink.apply(batch([ev('c', 100, { id: 'a\u0000ver', name: 'x' })]));
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0].error).toMatch(/U\+0000/);
    const written = await keysMatching(client, `*${prefix}*`);
    expect(written.filter((k) => !k.startsWith(`${prefix}:state`))).toEqual([]);
  });
});
