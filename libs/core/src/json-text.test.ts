import { describe, expect, it } from 'vitest';
import {
  JsonText,
  decodeEvent,
  encodeEvent,
  exactJson,
  parsedForExpressions,
  type ChangeEvent,
} from '@distributary/core';

describe('exactJson, the one serializer of rows and documents', () => {
  it('embeds json/jsonb text verbatim, anywhere in the value', () => {
    const big = new JsonText('{"big": 12345678901234567890, "tiny": 1e-400, "neg": -1e400}');
    expect(exactJson({ a: 1, j: big, list: [new JsonText('null'), null, { deep: new JsonText('"s"') }] })).toBe(
      '{"a":1,"j":{"big": 12345678901234567890, "tiny": 1e-400, "neg": -1e400},"list":[null,null,{"deep":"s"}]}',
    );
    expect(exactJson(new JsonText('-0'))).toBe('-0');
    expect(exactJson(new JsonText('{"a":\n1}'))).toBe('{"a": 1}'); // one line (NDJSON)
  });

  it('is JSON.stringify for everything else, including strings that look like its markers', () => {
    const tricky = { s: '\u0000abc:0', t: '"\\u0000x:1"', u: undefined, n: NaN, arr: [undefined] };
    expect(exactJson(tricky)).toBe(JSON.stringify(tricky));
    expect(exactJson({ ...tricky, j: new JsonText('[1]') })).toBe(`${JSON.stringify(tricky).slice(0, -1)},"j":[1]}`);
  });

  it('expressions see json parsed; plain JSON.stringify writes the text as a string (never a rounded number)', () => {
    expect(parsedForExpressions({ j: new JsonText('{"a":[1,2]}'), x: 'y' })).toEqual({ j: { a: [1, 2] }, x: 'y' });
    expect(JSON.stringify({ j: new JsonText('12345678901234567890') })).toBe('{"j":"12345678901234567890"}');
  });

  it('survives the log codec: the entry lists json columns, decoding restores JsonText', () => {
    const event: ChangeEvent = {
      pos: { lsn: 7n, seq: 1 },
      op: 'u',
      table: 'public.t',
      key: { id: 1 },
      before: { id: 1, j: new JsonText('null'), s: 'null' },
      after: { id: 1, j: new JsonText('{"n": 1.000000000000000000001}'), s: 'null', a: [new JsonText('1e400'), null] },
    };
    const { id, fields } = encodeEvent(event);
    expect(JSON.parse(fields.j)).toEqual(['j', 'a']);
    expect(decodeEvent(id, fields)).toEqual(event);
    expect(encodeEvent({ ...event, before: undefined, after: { id: 1 } }).fields.j).toBeUndefined();
  });
});
