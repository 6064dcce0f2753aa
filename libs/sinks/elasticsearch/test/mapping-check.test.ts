import { describe, expect, it } from 'vitest';
import { compileDocumentSpec } from '../src/document/document-spec';
import {
  describeConflicts,
  mappedFields,
  mappingConflicts,
  unmappedUnderStrict,
  type ColumnType,
  type ColumnTypes,
} from '../src/target/mapping-check';
import { sinkConfig } from './helpers';

/** The source: one column of each kind the contract writes differently. */
const COLUMNS: Record<string, [sqlType: string, baseType: string]> = {
  id: ['integer', 'int4'],
  small: ['smallint', 'int2'],
  big: ['bigint', 'int8'],
  amount: ['numeric(10,2)', 'numeric'],
  total: ['numeric', 'numeric'],
  wide: ['numeric(20,0)', 'numeric'],
  ratio: ['double precision', 'float8'],
  ratio4: ['real', 'float4'],
  flag: ['boolean', 'bool'],
  at: ['timestamp with time zone', 'timestamptz'],
  day: ['date', 'date'],
  doc: ['jsonb', 'jsonb'],
  name: ['text', 'text'],
  tags: ['text[]', 'text'],
  big_dom: ['positive_big', 'int8'],
  mood: ['mood', 'other'],
};

const table = new Map<string, ColumnType>(
  Object.entries(COLUMNS).map(([c, [sqlType, baseType]]) => [c, { sqlType, baseType }]),
);
const related = new Map<string, ColumnType>([
  ['id', { sqlType: 'integer', baseType: 'int4' }],
  ['price', { sqlType: 'numeric', baseType: 'numeric' }],
]);
const types: ColumnTypes = (t) => (t === 'public.t' ? table : t === 'public.r' ? related : undefined);

/** The conflict (the refused example value) for one field of one document config, or undefined. */
function refusal(
  document: Record<string, unknown> | undefined,
  properties: Record<string, unknown>,
  settings?: Record<string, unknown>,
): string | undefined {
  const spec = compileDocumentSpec(
    sinkConfig({ name: 's', elasticsearch: { url: 'http://x', index: 'i' }, from: 'public.t', id: '{id}', document }),
  );
  const conflicts = mappingConflicts(mappedFields(spec, types), { properties }, settings);
  expect(conflicts.length).toBeLessThanOrEqual(1);
  return conflicts[0]?.example;
}

describe('mapping check at open: an explicit mapping must hold every legal value of its column', () => {
  // [title, document field config, field mapping, refused example or undefined when it fits]
  const cases: [string, unknown, Record<string, unknown>, string | undefined][] = [
    ['int8 into long', 'big', { type: 'long' }, undefined],
    ['int8 into integer', 'big', { type: 'integer' }, '9223372036854775807'],
    ['int8 into unsigned_long', 'big', { type: 'unsigned_long' }, '-9223372036854775808'],
    ['int8 into long without coercion of strings', 'big', { type: 'long', coerce: false }, '9223372036854775807'],
    ['int8 domain into short', 'big_dom', { type: 'short' }, '9223372036854775807'],
    ['int8 into double (rounds, but holds)', 'big', { type: 'double' }, undefined],
    ['int8 into keyword', 'big', { type: 'keyword' }, undefined],
    [
      '$number(int8) into long: 2^63-1 becomes 2^63 as a double',
      { expr: '$number(big)' },
      { type: 'long' },
      '9223372036854776000',
    ],
    ['$number(int8) into double', { expr: '$number(big)' }, { type: 'double' }, undefined],
    ['int4 into integer', 'id', { type: 'integer' }, undefined],
    ['int4 into short', 'id', { type: 'short' }, '2147483647'],
    ['int2 into byte', 'small', { type: 'byte' }, '32767'],
    ['int2 into short', 'small', { type: 'short' }, undefined],
    ['numeric into double', 'amount', { type: 'double' }, 'NaN'],
    ['numeric into long', 'amount', { type: 'long' }, 'NaN'],
    ['numeric into scaled_float', 'amount', { type: 'scaled_float', scaling_factor: 100 }, 'NaN'],
    ['numeric into keyword', 'amount', { type: 'keyword' }, undefined],
    ['$number(numeric) into double', { expr: '$number(amount)' }, { type: 'double' }, undefined],
    ['$number(numeric) into long', { expr: '$number(total)' }, { type: 'long' }, '1.7976931348623157e+308'],
    ['$number(numeric) into float', { expr: '$number(total)' }, { type: 'float' }, '1.7976931348623157e+308'],
    ['$number(numeric(10,2)) into integer', { expr: '$number(amount)' }, { type: 'integer' }, undefined],
    ['$number(numeric(10,2)) into half_float', { expr: '$number(amount)' }, { type: 'half_float' }, '99999999.99'],
    [
      '$number(numeric(10,2)) into long without coercion: fractions refused',
      { expr: '$number(amount)' },
      { type: 'long', coerce: false },
      '99999999.99',
    ],
    ['$number(numeric(20,0)) into long', { expr: '$number(wide)' }, { type: 'long' }, '100000000000000000000'],
    ['numeric(20,0) into long', 'wide', { type: 'long' }, 'NaN'],
    [
      'numeric(20,0) into integer: NaN is taken (as 0), the magnitude is not',
      'wide',
      { type: 'integer' },
      '99999999999999999999',
    ],
    ['numeric into integer: NaN is taken (as 0), Infinity is not', 'total', { type: 'integer' }, 'Infinity'],
    ['float8 into double', 'ratio', { type: 'double' }, 'NaN'],
    ['float8 into double, ignore_malformed', 'ratio', { type: 'double', ignore_malformed: true }, undefined],
    ['$number(float4) into float', { expr: '$number(ratio4)' }, { type: 'float' }, undefined],
    ['$number(float4) into half_float', { expr: '$number(ratio4)' }, { type: 'half_float' }, '3.4028234663852886e+38'],
    ['timestamptz into date', 'at', { type: 'date' }, 'infinity'],
    ['timestamptz into date, ignore_malformed', 'at', { type: 'date', ignore_malformed: true }, undefined],
    ['timestamptz into date_nanos', 'at', { type: 'date_nanos' }, 'infinity'],
    ['timestamptz into keyword', 'at', { type: 'keyword' }, undefined],
    ['date into date', 'day', { type: 'date' }, 'infinity'],
    ['$number(timestamp) never reaches Elasticsearch', { expr: '$number(at)' }, { type: 'long' }, undefined],
    ['boolean into boolean', 'flag', { type: 'boolean' }, undefined],
    ['boolean into long', 'flag', { type: 'long' }, 'true'],
    ['$number(boolean) into byte', { expr: '$number(flag)' }, { type: 'byte' }, undefined],
    ['jsonb into keyword', 'doc', { type: 'keyword' }, '{"a":1}'],
    ['jsonb into long', 'doc', { type: 'long' }, '{"a":1}'],
    ['jsonb into flattened', 'doc', { type: 'flattened' }, undefined],
    ['jsonb into object with properties', 'doc', { properties: { a: { type: 'keyword' } } }, undefined],
    ['jsonb into object, enabled: false', 'doc', { type: 'object', enabled: false }, undefined],
    ['text into date', 'name', { type: 'date' }, 'abc'],
    ['text into text', 'name', { type: 'text' }, undefined],
    ['text into object', 'name', { type: 'object' }, 'abc'],
    ['text into object, enabled: false', 'name', { type: 'object', enabled: false }, undefined],
    ['text[] into keyword (arrays element-wise)', 'tags', { type: 'keyword' }, undefined],
    ['text into boolean', 'name', { type: 'boolean' }, 'abc'],
    ['enum into long', 'mood', { type: 'long' }, 'abc'],
    ['enum into keyword', 'mood', { type: 'keyword' }, undefined],
    ['a type the check does not judge (ip)', 'name', { type: 'ip' }, undefined],
    ['$string(int8) is not judged', { expr: '$string(big)' }, { type: 'integer' }, undefined],
    ['an expression is not judged', { expr: 'big & "x"' }, { type: 'integer' }, undefined],
  ];

  it.each(cases)('%s', (_title, field, mapping, example) => {
    expect(refusal({ f: field }, { f: mapping })).toBe(example);
  });

  it('dynamic mapping (no explicit mapping for the field) is not refused at open', () => {
    expect(refusal({ f: 'ratio', g: 'name' }, { g: { type: 'text' } })).toBeUndefined();
    expect(refusal(undefined, {})).toBeUndefined();
  });

  it('without a document config every column is a field named after it', () => {
    expect(refusal(undefined, { ratio: { type: 'double' } })).toBe('NaN');
    expect(refusal(undefined, { at: { type: 'keyword' } })).toBeUndefined();
  });

  it("a relation's fields are checked under the relation's name", () => {
    const document = { id: 'id', r: { from: 'public.r', on: { id: 'id' }, fields: ['price'] } };
    expect(refusal(document, { r: { properties: { price: { type: 'double' } } } })).toBe('NaN');
    expect(refusal(document, { r: { properties: { price: { type: 'keyword' } } } })).toBeUndefined();
  });

  it('index.mapping.ignore_malformed in the settings, flat or nested, holds numeric and date values', () => {
    expect(
      refusal({ f: 'ratio' }, { f: { type: 'double' } }, { 'index.mapping.ignore_malformed': true }),
    ).toBeUndefined();
    expect(
      refusal({ f: 'at' }, { f: { type: 'date' } }, { index: { mapping: { ignore_malformed: 'true' } } }),
    ).toBeUndefined();
    expect(
      refusal(
        { f: 'at' },
        { f: { type: 'date', ignore_malformed: false } },
        { 'index.mapping.ignore_malformed': true },
      ),
    ).toBe('infinity');
    expect(refusal({ f: 'doc' }, { f: { type: 'keyword' } }, { 'index.mapping.ignore_malformed': true })).toBe(
      '{"a":1}',
    );
  });

  it('the refusal names the sink, the field, the column type, the value and a mapping that holds it', () => {
    const spec = compileDocumentSpec(
      sinkConfig({ name: 's', elasticsearch: { url: 'http://x', index: 'i' }, from: 'public.t', id: '{id}' }),
    );
    const conflicts = mappingConflicts(mappedFields(spec, types), {
      properties: { at: { type: 'date' }, ratio: { type: 'double' }, doc: { type: 'keyword' } },
    });
    const message = describeConflicts('search', conflicts);
    expect(message).toMatch(/^sink search: /);
    expect(message).toContain(
      `field "ratio" is mapped as [double], but column ratio of public.t (double precision) can hold 'NaN', which that mapping refuses`,
    );
    expect(message).toContain(
      `field "at" is mapped as [date], but column at of public.t (timestamp with time zone) can hold 'infinity'`,
    );
    expect(message).toContain('ignore_malformed: true');
    expect(message).toMatch(/field "doc" .*\(jsonb\) can hold \{"a":1\}.*flattened/);
  });

  it('under dynamic: strict, a produced field without a mapping is refused (every document would be)', () => {
    const spec = compileDocumentSpec(
      sinkConfig({
        name: 's',
        elasticsearch: { url: 'http://x', index: 'i' },
        from: 'public.t',
        id: '{id}',
        document: { name: 'name', upper: { expr: '$uppercase(name)' } },
      }),
    );
    const strict = { dynamic: 'strict', properties: { name: { type: 'text' } } };
    expect(unmappedUnderStrict(spec, types, strict)).toEqual(['upper']);
    expect(unmappedUnderStrict(spec, types, { ...strict, dynamic: false })).toEqual([]);
    expect(describeConflicts('s', [], ['upper'])).toContain(
      'field "upper" has no mapping and mappings.dynamic is strict',
    );
  });
});
