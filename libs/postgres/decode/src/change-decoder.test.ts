import { Pool } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonText, canonicalKey, type Row } from '@distributary/core';
import { pgUrl } from '@distributary/testkit';
import { ChangeDecoder, canonicalKeyBuilder } from './change-decoder';
import { UNCHANGED_TOAST, type RawTuple, type RelationMessage } from '@distributary/pg-protocol';
import { TypeResolver } from '@distributary/pg-catalog';

const pool = new Pool({ connectionString: pgUrl(), max: 1 });
afterAll(() => pool.end());

describe('canonicalKeyBuilder', () => {
  it('builds exactly canonicalKey(table, key) for every kind of key value and column name', () => {
    const cases: [string, string[], Row][] = [
      ['public.items', ['id'], { id: 7 }],
      ['public.items', ['id'], { id: null }],
      ['public."Odd Table"', ['b', 'a'], { b: 'x"y\\z', a: -0.5 }],
      ['s.t', ['z', 'é', 'A', 'a'], { z: '😀', é: true, A: 'ü\n', a: '' }],
      ['s.t', ['j'], { j: new JsonText('{"b": 1, "a": [1e400]}') }],
      ['s.t', ['arr'], { arr: [1, null, ['a', 'b']] }],
      ['s.t', [], {}],
      ['s.t', ['n'], { n: '12345678901234567890.000001' }],
    ];
    for (const [table, columns, key] of cases)
      expect(canonicalKeyBuilder(table, columns)(key)).toBe(canonicalKey(table, key));
  });
});

describe('ChangeDecoder', () => {
  const relation: RelationMessage = {
    tag: 'relation',
    relationOid: 1,
    schema: 'public',
    name: 'things',
    replicaIdentity: 'default',
    columns: [
      { name: 'name', typeOid: 25, typeMod: -1, isKey: false },
      { name: 'id', typeOid: 23, typeMod: -1, isKey: true },
      { name: 'doc', typeOid: 3802, typeMod: -1, isKey: false },
      { name: 'tags', typeOid: 1007, typeMod: -1, isKey: false },
    ],
  };

  async function decoder(): Promise<ChangeDecoder> {
    const d = new ChangeDecoder(new TypeResolver(pool), () => Promise.resolve([]));
    await d.relation(relation);
    d.begin({ tag: 'begin', commitLsn: 100n, commitTimeMicros: 1_700_000_000_000_000n, xid: 9 });
    return d;
  }

  it('decodes an insert on the lean path exactly like the general one, with its canonical key', async () => {
    const tuple = ['a "name"', '42', '{"x": 1.50}', '{1,NULL,3}'];
    const lean = await decoder();
    const event = lean.insertEvent({ tag: 'insert', relationOid: 1, newTuple: tuple });
    const general = await decoder();
    const [change] = general.insert({ tag: 'insert', relationOid: 1, newTuple: tuple });
    expect(event).toEqual(change.event);
    expect(Object.keys(event ?? {})).toEqual(Object.keys(change.event));
    expect(event?.after).toEqual({ name: 'a "name"', id: 42, doc: new JsonText('{"x": 1.50}'), tags: [1, null, 3] });
    expect(lean.lastCanonical).toBe(canonicalKey('public.things', { id: 42 }));
    expect(change.canonical).toBe(lean.lastCanonical);
    expect(change.unchanged).toEqual([]);
    // seq runs on across both paths
    expect(lean.insertEvent({ tag: 'insert', relationOid: 1, newTuple: tuple })?.pos).toEqual({ lsn: 100n, seq: 1 });
  });

  it('leaves a row with an unchanged TOAST value to the general path without using a seq', async () => {
    const d = await decoder();
    const tuple: RawTuple = [UNCHANGED_TOAST, '1', null, null];
    expect(d.insertEvent({ tag: 'insert', relationOid: 1, newTuple: tuple })).toBeUndefined();
    const [change] = d.update({ tag: 'update', relationOid: 1, newTuple: tuple });
    expect(change.event.pos.seq).toBe(0);
    expect(change.unchanged).toEqual(['name']);
    expect(change.event.after).toEqual({ id: 1, doc: null, tags: null });
    expect(change.canonical).toBe(canonicalKey('public.things', { id: 1 }));
  });

  it('uses the columns of the latest Relation message', async () => {
    const d = await decoder();
    await d.relation({ ...relation, columns: [relation.columns[1], { ...relation.columns[0], name: 'renamed' }] });
    expect(d.insertEvent({ tag: 'insert', relationOid: 1, newTuple: ['5', 'n'] })?.after).toEqual({
      id: 5,
      renamed: 'n',
    });
  });
});
