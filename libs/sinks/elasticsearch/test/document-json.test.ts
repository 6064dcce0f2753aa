import { describe, expect, it } from 'vitest';
import { JsonText, exactJson, type Row } from '@distributary/core';
import { specOf } from './spec-of';
import { withRefs, type DocumentSpec } from '../src/document/document-spec';
import { quoteJson } from '../src/document/document-json';
import { buildDocumentNow, type RelatedRows } from '../src/document/build-document';
import { tupleKey } from '../src/plan/row-match';

/** The JSON text written straight from the rows is exactly exactJson(buildDocumentNow(...)), or nothing. */

const keys = { primaryKey: (table: string) => (table === 'public.tags' ? ['product_id', 'tag'] : ['id']) };

async function slow(spec: DocumentSpec, root: Row, related: RelatedRows): Promise<string> {
  return exactJson(await buildDocumentNow(spec, root, related, keys));
}

const odd: unknown[] = [
  'plain',
  '',
  'quote " backslash \\ line\nbreak \u2028 \u0000 é 😀 \ud800',
  0,
  -0,
  1.5,
  -12345678901234,
  Number.MAX_SAFE_INTEGER,
  1e300,
  true,
  false,
  null,
  undefined,
  new JsonText('{"a": 1e400, "b": [1.000000000000000000001, -0]}'),
  new JsonText('"a json string"'),
  new JsonText('null'),
  new JsonText('{\n  "multi": "line"\n}'),
  ['a', 1, null, true, new JsonText('12345678901234567890')],
  [['nested', 'array'], []],
  '12.50',
  '0x1F',
  ' 7 ',
  '1e5',
];

function relatedFor(category: Row | undefined, tags: Row[]): RelatedRows {
  return new Map([
    ['category', new Map(category ? [[tupleKey(category, ['id'])!, [category]]] : [])],
    ['tags', new Map([[tupleKey({ product_id: 1 }, ['product_id'])!, tags]])],
  ]);
}

const configs: Record<string, Record<string, unknown>> = {
  columns: {
    title: 'title',
    value: 'value',
    category: { from: 'public.categories', on: { id: 'category_id' }, fields: ['name'] },
  },
  casts: {
    n: { expr: '$number(value)' },
    s: { expr: '$string(value)' },
    copy: { expr: 'value' },
    category: { from: 'public.categories', on: { id: 'category_id' }, fields: { label: { expr: '$string(name)' } } },
    tags: { children: 'public.tags', on: { product_id: 'id' }, fields: ['tag', 'weight'] },
  },
  wholeRows: {
    '10': 'title',
    value: 'value',
    '2': 'id',
    category: { from: 'public.categories', on: { id: 'category_id' } },
    tags: { children: 'public.tags', on: { product_id: 'id' } },
  },
};

describe('document JSON written straight from the rows', () => {
  for (const [name, config] of Object.entries(configs)) {
    for (const refs of [true, false]) {
      it(`is exactJson(buildDocumentNow(...)) or undefined, value by value (${name}, ${refs ? 'with' : 'without'} refs)`, async () => {
        const spec = withRefs(specOf(config), refs);
        expect(spec.refs).toBe(refs);
        expect(spec.json).toBeDefined();
        let written = 0;
        for (const value of odd) {
          for (const category of [{ id: 3, name: value } as Row, undefined]) {
            const tags: Row[] = [
              { product_id: 1, tag: 'x', weight: value } as Row,
              { product_id: 1, tag: 'y', weight: 2 },
            ];
            const root = { id: 1, category_id: 3, title: 'hammer', value } as Row;
            const related = relatedFor(category, tags);
            const text = spec.json?.(root, related, keys);
            const expected = await slow(spec, root, related).catch(() => undefined);
            if (text === undefined) continue; // left to the document path
            written++;
            expect(text).toBe(expected);
            expect(text.includes('_distributary_refs')).toBe(refs);
            // the memoized lookup and refs parts give the same text again
            expect(spec.json?.(root, related, keys)).toBe(text);
          }
        }
        expect(written).toBeGreaterThan(5); // the fast path is taken (casts leave many values to JSONata)
      });
    }
  }

  it('quotes every string exactly as JSON.stringify does', () => {
    // every UTF-16 code unit alone and between others (lone surrogates included), pairs, and odd texts
    for (let unit = 0; unit <= 0xffff; unit++) {
      const char = String.fromCharCode(unit);
      for (const text of [char, `a${char}b`]) expect(quoteJson(text)).toBe(JSON.stringify(text));
    }
    for (const text of ['', '😀', 'x\ud83d', '\ude00x', '\u2028\u2029\u007f é', 'plain title 42', ...odd.map(String)])
      expect(quoteJson(text)).toBe(JSON.stringify(text));
  });

  it('leaves to the document path what it cannot write for certain', async () => {
    const root: Row = { id: 1, category_id: 3, title: 'hammer', value: '0x1F' };
    const related = relatedFor({ id: 3, name: 'tools' }, []);
    // a fast cast JSONata must decide (hex): no text, the document path runs JSONata
    expect(specOf(configs.casts).json?.(root, related, keys)).toBeUndefined();
    // an object value (a composite type): no text
    const composite = { ...root, value: { a: 1 } } as Row;
    expect(specOf(configs.columns).json?.(composite, related, keys)).toBeUndefined();
    // JSONata fields and a field named like the refs field: not compiled at all
    expect(specOf({ t: { expr: 'title & "!"' }, ...configs.columns }).json).toBeUndefined();
    expect(specOf({ _distributary_refs: 'title', ...configs.columns }).json).toBeUndefined();
    expect(withRefs(specOf({ _distributary_refs: 'title', ...configs.columns }), false).json).toBeUndefined();
    // plain sinks without relations are written by the direct plan
    expect(specOf({ title: 'title' }).json).toBeUndefined();
    const expected = await slow(specOf(configs.columns), root, related);
    expect(specOf(configs.columns).json?.(root, related, keys)).toBe(expected);
  });
});
