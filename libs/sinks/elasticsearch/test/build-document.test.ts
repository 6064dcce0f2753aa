import { describe, expect, it } from 'vitest';
import type { Row } from '@distributary/core';
import { specOf } from './spec-of';
import { buildDocument, buildDocumentNow, type RelatedRows } from '../src/document/build-document';
import { tupleKey } from '../src/plan/row-match';

const keys = { primaryKey: () => ['id'] };

const category: Row = { id: 3, name: 'tools', rank: '7' };
const reviews: Row[] = [
  { id: 10, product_id: 1, stars: '5', text: 'good' },
  { id: 11, product_id: 1, stars: '0x2', text: 'hex' },
];
const related: RelatedRows = new Map([
  ['category', new Map([[tupleKey({ id: 3 }, ['id'])!, [category]]])],
  ['reviews', new Map([[tupleKey({ product_id: 1 }, ['product_id'])!, reviews]])],
]);
const root: Row = { id: 1, category_id: 3, title: 'hammer', price: '12.50', weight: '0x1F' };

describe('buildDocumentNow', () => {
  it('builds columns, fast casts and lookups without a promise', () => {
    const spec = specOf({
      title: 'title',
      price: { expr: '$number(price)' },
      category: { from: 'public.categories', on: { id: 'category_id' }, fields: ['name'] },
    });
    const doc = buildDocumentNow(spec, root, related, keys);
    expect(doc).not.toBeInstanceOf(Promise);
    expect(JSON.stringify(doc)).toBe(
      '{"title":"hammer","price":12.5,"category":{"name":"tools"},' +
        '"_distributary_refs":{"key":"public.products:[\\"1\\"]","category":["public.categories:[\\"3\\"]"]}}',
    );
  });

  it('gives what buildDocument gives, field order included, when JSONata runs (root, lookup and children)', async () => {
    const spec = specOf({
      weight: { expr: '$number(weight)' }, // hex: the fast path leaves it to JSONata
      title: 'title',
      label: { expr: 'title & "!"' },
      category: {
        from: 'public.categories',
        on: { id: 'category_id' },
        fields: { name: 'name', rank: { expr: '$number(rank) + 1' } },
      },
      reviews: {
        children: 'public.reviews',
        on: { product_id: 'id' },
        fields: { text: 'text', stars: { expr: '$number(stars)' } },
      },
      price: 'price',
    });
    const now = buildDocumentNow(spec, root, related, keys);
    expect(now).toBeInstanceOf(Promise);
    const built = await now;
    expect(JSON.stringify(built)).toBe(JSON.stringify(await buildDocument(spec, root, related, keys)));
    // the root's own fields first, then the relations (buildDocument's order)
    expect(Object.keys(built)).toEqual([
      'weight',
      'title',
      'label',
      'price',
      'category',
      'reviews',
      '_distributary_refs',
    ]);
    expect(built.category).toEqual({ name: 'tools', rank: 8 });
    expect(built.weight).toBe(31);
    expect(built.reviews).toEqual([
      { text: 'good', stars: 5 },
      { text: 'hex', stars: 2 },
    ]);
  });

  it('rejects when a JSONata expression fails, as buildDocument does', async () => {
    const spec = specOf({ title: 'title', bad: { expr: '$number(weight) + $error("no")' } });
    await expect(Promise.resolve(buildDocumentNow(spec, root, related, keys))).rejects.toThrow(/JSONata/);
    await expect(buildDocument(spec, root, related, keys)).rejects.toThrow(/JSONata/);
  });
});
