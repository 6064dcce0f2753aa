import { describe, expect, it } from 'vitest';
import { JsonText, type Row } from '@distributary/core';
import { ValueRenderer } from '../src/plan/cached-value';
import { RowFilter } from '../src/plan/row-filter';

/** The type contract (docs/types.md) for cached values: nothing rounded, JSON null ≠ SQL NULL. */
const row: Row = {
  id: 1,
  big: new JsonText('{"big": 12345678901234567890, "tiny": 1e-400, "neg": -1e400}'),
  jnull: new JsonText('null'),
  jstr: new JsonText('"just a string"'),
  sqlnull: null,
  f: '-0',
  nan: 'NaN',
  tags: [new JsonText('1.000000000000000000001'), null],
};

describe('cached values keep every value exactly', () => {
  it('json format embeds json/jsonb verbatim', () => {
    const value = new ValueRenderer({ format: 'json' }).render(row);
    expect(value).toEqual({
      format: 'json',
      document:
        '{"id":1,"big":{"big": 12345678901234567890, "tiny": 1e-400, "neg": -1e400},"jnull":null,' +
        '"jstr":"just a string","sqlnull":null,"f":"-0","nan":"NaN","tags":[1.000000000000000000001,null]}',
    });
  });

  it('hash format keeps JSON null as `null`, a JSON string with its quotes, and leaves SQL NULL out', () => {
    const value = new ValueRenderer({ format: 'hash' }).render(row);
    expect(value.format === 'hash' && Object.fromEntries(chunk(value.pairs))).toEqual({
      id: '1',
      big: '{"big": 12345678901234567890, "tiny": 1e-400, "neg": -1e400}',
      jnull: 'null',
      jstr: '"just a string"',
      f: '-0',
      nan: 'NaN',
      tags: '[1.000000000000000000001,null]',
    });
  });

  it('filters see json columns parsed', async () => {
    expect(await new RowFilter('jstr = "just a string" and $exists(big.big)').matches(row)).toBe(true);
  });
});

function chunk(pairs: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < pairs.length; i += 2) out.push([pairs[i], pairs[i + 1]]);
  return out;
}
