/**
 * The type sweep: a wide set of PostgreSQL types and awkward values (beyond the fidelity table's one
 * column per kind) — each column with several values, row i holding the i-th value of every column
 * (NULL where a column has fewer). Families say how the type contract (docs/types.md) renders the
 * type; the oracle reads PostgreSQL's own text of each value.
 */
import type { ColumnSpec } from './contract-oracle';

export interface SweepColumn extends ColumnSpec {
  /** SQL expressions, one per row. */
  values: string[];
  /** GENERATED ALWAYS … STORED: not inserted. */
  generated?: boolean;
}

export const SWEEP_SCHEMA = '"Odd "" . Schema"';
export const SWEEP_TABLE = `${SWEEP_SCHEMA}."Sweep . T"`;

const LONG_UNICODE = `repeat(E'😀𝄞 עברית‏ العربية e\\u0301 \\u2028\\u2029 \\uFEFF \\uFFFF ' || chr(1) || chr(31) || chr(127) || ' \\\\ "', 400)`;

export const SWEEP_COLUMNS: SweepColumn[] = [
  { name: 'id', sqlType: 'int8 PRIMARY KEY', family: 'text', values: [] },
  // numbers
  { name: 'n_int2', sqlType: 'int2', family: 'number', values: ['32767', '-32768', '0'] },
  { name: 'n_int4', sqlType: 'int4', family: 'number', values: ['-2147483648', '2147483647'] },
  { name: 'n_int8', sqlType: 'int8', family: 'text', values: ['-9223372036854775808', '9007199254740993'] },
  { name: 'n_oid', sqlType: 'oid', family: 'number', values: ['4294967295', '0'] },
  {
    name: 'n_numeric',
    sqlType: 'numeric',
    family: 'text',
    values: [
      `'Infinity'`,
      `'-Infinity'`,
      `'NaN'`,
      `'-0.000'`,
      `('1e-' || 16383)::numeric`,
      `'0.000000000000000000001'`,
    ],
  },
  { name: 'n_numeric52', sqlType: 'numeric(5,2)', family: 'text', values: ['-999.99', '0', '1.5'] },
  {
    name: 'n_float4',
    sqlType: 'real',
    family: 'text',
    values: [`'1e-45'`, `'3.4028235e38'`, `'-1.17549435e-38'`, `'-0'`, `'0.1'`, `'NaN'`],
  },
  {
    name: 'n_float8',
    sqlType: 'double precision',
    family: 'text',
    values: [
      `'5e-324'`,
      `'1.7976931348623157e308'`,
      `'-Infinity'`,
      `'0.30000000000000004'`,
      `'-0'`,
      `'123456789012345680000'`,
    ],
  },
  {
    name: 'n_money',
    sqlType: 'money',
    family: 'text',
    values: [`'-92233720368547758.08'`, `'92233720368547758.07'`, '0'],
  },
  // strings
  {
    name: 'text',
    sqlType: 'text',
    family: 'text',
    values: [LONG_UNICODE, `''`, `E'\\\\x00 not bytea'`, `E'line\\nbreak\\r\\ttab'`, `'NULL'`, `'null'`],
  },
  { name: 's_bpchar', sqlType: 'char(5)', family: 'text', values: [`'a'`, `''`, `'é😀'`, `'abcde'`] },
  { name: 's_varchar', sqlType: 'varchar(3)', family: 'text', values: [`'😀😀😀'`, `' '`] },
  { name: 's_char', sqlType: '"char"', family: 'text', values: [`'x'`, `'"'`, `' '`] },
  { name: 's_citext', sqlType: 'citext', family: 'text', values: [`'MiXeD Ünï'`, `''`] },
  { name: 's_name', sqlType: 'name', family: 'text', values: [`repeat('n', 63)`, `'😀'`] },
  {
    name: 's_xml',
    sqlType: 'xml',
    family: 'text',
    values: [`'<a b="&quot;">&amp;&lt;😀</a>'`, `'text only'`, `'<?xml version="1.0"?><r/>'`],
  },
  // json
  {
    name: 'j_json',
    sqlType: 'json',
    family: 'json',
    values: [
      `'"a\\"b\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\\u0000"'`,
      `'{"a":1,"b" : { } ,"c":-0,"d":1E+2}'`,
      `'[]'`,
      `'  true  '`,
      `'-1.5e-400'`,
    ],
  },
  {
    name: 'j_jsonb',
    sqlType: 'jsonb',
    family: 'json',
    values: [
      `'{"a":1,"a":2,"nested":{"a":{"b":{"c":{"d":{"e":[[[[[[1]]]]]]}}}}}}'`,
      `(SELECT (repeat('[', 300) || '1' || repeat(']', 300))::jsonb)`,
      `'"\\u00e9\\ud83d\\ude00\\n"'`,
      `'-0'`,
      `'{"":null, "k\\"ey": 18446744073709551616.000}'`,
      `'false'`,
    ],
  },
  { name: 'j_jsonpath', sqlType: 'jsonpath', family: 'text', values: [`'$."a b"[*] ? (@ like_regex "^x" flag "i")'`] },
  // binary, bits
  {
    name: 'b_bytea',
    sqlType: 'bytea',
    family: 'bytea',
    values: [`'\\x00'`, `''`, `decode(repeat('00ff', 3000), 'hex')`, `'\\x5c78'`],
  },
  { name: 'b_bit', sqlType: 'bit(8)', family: 'text', values: [`B'10101010'`, `B'00000000'`] },
  { name: 'b_varbit', sqlType: 'varbit', family: 'text', values: [`B''`, `B'1'`, `repeat('1', 1000)::varbit`] },
  // identifiers of the world
  {
    name: 'u_uuid',
    sqlType: 'uuid',
    family: 'text',
    values: [`'00000000-0000-0000-0000-000000000000'`, `'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'`],
  },
  { name: 'u_inet', sqlType: 'inet', family: 'text', values: [`'::ffff:1.2.3.4/128'`, `'192.168.0.1/24'`, `'::'`] },
  { name: 'u_cidr', sqlType: 'cidr', family: 'text', values: [`'2001:db8::/32'`, `'10/8'`] },
  { name: 'u_macaddr8', sqlType: 'macaddr8', family: 'text', values: [`'08002b0102030405'`, `'08:00:2b:01:02:03'`] },
  { name: 'u_pg_lsn', sqlType: 'pg_lsn', family: 'text', values: [`'FFFFFFFF/FFFFFFFF'`, `'0/0'`] },
  { name: 'u_xid8', sqlType: 'xid8', family: 'text', values: [`'18446744073709551615'`] },
  { name: 'u_regproc', sqlType: 'regprocedure', family: 'text', values: [`'sum(int4)'`] },
  // text search
  {
    name: 't_tsvector',
    sqlType: 'tsvector',
    family: 'text',
    values: [`$$'a b' 'c''d':1A,2B 😀:3$$`, `''`, `to_tsvector('english', 'The Quick brown foxes')`],
  },
  { name: 't_tsquery', sqlType: 'tsquery', family: 'text', values: [`$$'a' & !('b' | 'c':*) <-> 'd'$$`, `''`] },
  // date and time
  {
    name: 'd_timestamp',
    sqlType: 'timestamp',
    family: 'timestamp',
    values: [
      `'294276-12-31 23:59:59.999999'`,
      `'4713-01-01 00:00:00 BC'`,
      `'1999-12-31 23:59:60'`,
      `'epoch'`,
      `'-infinity'`,
      `'0001-01-01 00:00:00'`,
    ],
  },
  { name: 'd_timestamp0', sqlType: 'timestamp(0)', family: 'timestamp', values: [`'2024-01-01 12:00:00.5'`] },
  {
    name: 'd_timestamptz',
    sqlType: 'timestamptz',
    family: 'timestamptz',
    values: [`'2024-06-01 12:00:00+05:30'`, `'0001-01-01 00:00:00+14 BC'`, `'infinity'`, `'10000-01-01 00:00:00+00'`],
  },
  {
    name: 'd_date',
    sqlType: 'date',
    family: 'date',
    values: [`'5874897-12-31'`, `'4713-01-01 BC'`, `'-infinity'`, `'0001-01-01 BC'`, `'2000-02-29'`],
  },
  { name: 'd_time', sqlType: 'time(3)', family: 'text', values: [`'24:00:00'`, `'00:00:00.0005'`] },
  { name: 'd_timetz', sqlType: 'timetz', family: 'text', values: [`'00:00:00+15:59'`, `'24:00:00-15:59'`] },
  {
    name: 'd_interval',
    sqlType: 'interval',
    family: 'text',
    values: [`'-178000000 years'`, `'1 mon -1 day +00:00:00.000001'`, `'0'`, `'P1Y2M3DT4H5M6.7S'`],
  },
  { name: 'd_interval_ym', sqlType: 'interval year to month', family: 'text', values: [`'3 years 25 months'`] },
  // geometry
  { name: 'g_point', sqlType: 'point', family: 'text', values: [`'(-0,NaN)'`, `'(1e300,-Infinity)'`, `'(0.1,0.2)'`] },
  { name: 'g_box', sqlType: 'box', family: 'text', values: [`'(1,1),(0,0)'`] },
  { name: 'g_polygon', sqlType: 'polygon', family: 'text', values: [`'((0,0),(1,1),(1,0),(0.5,-0))'`] },
  { name: 'g_circle', sqlType: 'circle', family: 'text', values: [`'<(0,0),1e-10>'`] },
  { name: 'g_path', sqlType: 'path', family: 'text', values: [`'[(0,0),(1,1)]'`, `'((0,0),(1,1))'`] },
  // ranges and multiranges
  {
    name: 'r_numrange',
    sqlType: 'numrange',
    family: 'text',
    values: [`'empty'`, `'(,)'`, `'[-Infinity,Infinity]'`, `numrange(0.1, 1e30, '[]')`],
  },
  {
    name: 'r_tstzrange',
    sqlType: 'tstzrange',
    family: 'text',
    values: [`'[-infinity,infinity)'`, `'["0044-03-15 12:00:00+00 BC",)'`],
  },
  { name: 'r_tsrange', sqlType: 'tsrange', family: 'text', values: [`'["2024-01-01 00:00:00",infinity]'`] },
  { name: 'r_daterange', sqlType: 'daterange', family: 'text', values: [`'[2024-01-01,2024-01-01]'`, `'(,)'`] },
  {
    name: 'r_int8range',
    sqlType: 'int8range',
    family: 'text',
    values: [`'[-9223372036854775808,9223372036854775807)'`],
  },
  {
    name: 'r_datemulti',
    sqlType: 'datemultirange',
    family: 'text',
    values: [`'{}'`, `'{[2024-01-01,2024-01-05), [2024-01-03,2024-02-01), (,2000-01-01]}'`],
  },
  { name: 'r_nummulti', sqlType: 'nummultirange', family: 'text', values: [`'{(,), empty}'`] },
  // arrays
  {
    name: 'a_text2d',
    sqlType: 'text[]',
    family: 'text',
    array: 'nested',
    values: [`'{{"a\\"b","c,d"},{NULL,"NULL"}}'`, `'{{"{}","\\\\"},{" ","😀"}}'`],
  },
  { name: 'a_empty', sqlType: 'int[]', family: 'number', array: 'flat', values: [`'{}'`, `'[2:3]={7,8}'`] },
  { name: 'a_int3d', sqlType: 'int[]', family: 'number', array: 'nested', values: [`'{{{1,NULL},{3,4}}}'`] },
  {
    name: 'a_numeric',
    sqlType: 'numeric[]',
    family: 'text',
    array: 'flat',
    values: [`'{NaN,Infinity,-Infinity,1.000,-0.0,NULL}'`],
  },
  { name: 'a_float4', sqlType: 'real[]', family: 'text', array: 'flat', values: [`'{-0,NaN,1e-45,0.1}'`] },
  { name: 'a_bytea', sqlType: 'bytea[]', family: 'bytea', array: 'flat', values: [`ARRAY['\\x00'::bytea, '', NULL]`] },
  {
    name: 'a_timestamp',
    sqlType: 'timestamp[]',
    family: 'timestamp',
    array: 'flat',
    values: [`ARRAY['4713-01-01 00:00:00 BC', 'infinity', '294276-01-01 00:00:00']::timestamp[]`],
  },
  {
    name: 'a_date',
    sqlType: 'date[]',
    family: 'date',
    array: 'flat',
    values: [`'{-infinity,2024-02-29,0044-03-15 BC}'`],
  },
  { name: 'a_interval', sqlType: 'interval[]', family: 'text', array: 'flat', values: [`'{"1 day","-00:00:01"}'`] },
  {
    name: 'a_json',
    sqlType: 'json[]',
    family: 'json',
    array: 'flat',
    values: [`ARRAY['{"a":1, "b":2}', '"s"', 'null']::json[]`],
  },
  { name: 'a_uuid', sqlType: 'uuid[]', family: 'text', array: 'flat', values: [`ARRAY[gen_random_uuid()]`] },
  { name: 'a_bpchar', sqlType: 'char(3)[]', family: 'text', array: 'nested', values: [`'{a,"b ",""}'`] },
  { name: 'a_enum', sqlType: '"odd enum"[]', family: 'text', array: 'flat', values: [`'{"",NULL,"a \\"q\\""}'`] },
  {
    name: 'a_composite',
    sqlType: 'odd_pair[]',
    family: 'text',
    array: 'flat',
    values: [`ARRAY[ROW(1, 'a "b"'), ROW(NULL, NULL)]::odd_pair[]`],
  },
  { name: 'a_range', sqlType: 'int4range[]', family: 'text', array: 'flat', values: [`'{"[1,2)",empty}'`] },
  { name: 'a_bool', sqlType: 'bool[]', family: 'bool', array: 'flat', values: [`'{}'`, `'{NULL}'`] },
  // user-defined types
  { name: 'x_enum', sqlType: '"odd enum"', family: 'text', values: [`''`, `'a "q"'`, `'ünï 😀'`, `' space '`] },
  {
    name: 'x_composite',
    sqlType: 'odd_pair',
    family: 'text',
    values: [`ROW(NULL, NULL)`, `ROW(-1, E'a "b" \\\\ c,(d)')`, `ROW(0, '')`],
  },
  { name: 'x_nested', sqlType: 'odd_nest', family: 'text', values: [`ROW(ROW(1, 'x'), ARRAY[1, NULL])`] },
  { name: 'x_dom_text', sqlType: 'odd_text', family: 'text', values: [`'😀'`] },
  { name: 'x_dom_int', sqlType: 'odd_int', family: 'number', values: [`7`] },
  { name: 'x_dom_jsonb', sqlType: 'odd_jsonb', family: 'json', values: [`'{"big": 123456789012345678901234567890}'`] },
  { name: 'x_dom_tstz', sqlType: 'odd_tstz', family: 'timestamptz', values: [`'0044-03-15 12:00:00+00 BC'`] },
  { name: 'x_dom_num', sqlType: 'odd_num', family: 'text', values: [`'NaN'`, `12.50`] },
  { name: 'x_dom_array', sqlType: 'odd_ints', family: 'number', array: 'flat', values: [`'{1,NULL,-2}'`, `'{}'`] },
  {
    name: 'x_array_dom',
    sqlType: 'odd_text[]',
    family: 'text',
    array: 'flat',
    values: [`ARRAY['😀', NULL]::odd_text[]`],
  },
  { name: 'x_dom_tstz_arr', sqlType: 'odd_tstz[]', family: 'timestamptz', array: 'flat', values: [`'{infinity}'`] },
  { name: 'x_range_custom', sqlType: 'odd_floatrange', family: 'text', values: [`'[-0,NaN]'`, `'(1e-300,)'`] },
  { name: 'x_hstore', sqlType: 'hstore', family: 'text', values: [`'"a b"=>"1", "c"=>NULL, "\\"q"=>"\\\\"'`] },
  { name: 'x_ltree', sqlType: 'ltree', family: 'text', values: [`'a.b_c.d'`] },
  { name: 'x_cube', sqlType: 'cube', family: 'text', values: [`'(1e300, -0), (NaN, 1)'`] },
  // names needing quotes
  { name: 'a.b', sqlType: 'text', family: 'text', values: [`'dotted'`] },
  { name: 'sp ace', sqlType: 'text', family: 'text', values: [`'spaced'`] },
  { name: 'q"uote', sqlType: 'text', family: 'text', values: [`'quoted'`] },
  { name: 'ünï😀', sqlType: 'text', family: 'text', values: [`'unicode'`] },
  { name: 'UPPER', sqlType: 'text', family: 'text', values: [`'upper'`] },
  // generated
  {
    name: 'gen_len',
    sqlType: 'int4 GENERATED ALWAYS AS (length(text)) STORED',
    family: 'number',
    values: [],
    generated: true,
  },
];

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export const SWEEP_DDL = `
  CREATE EXTENSION IF NOT EXISTS citext; CREATE EXTENSION IF NOT EXISTS hstore;
  CREATE EXTENSION IF NOT EXISTS ltree; CREATE EXTENSION IF NOT EXISTS cube;
  CREATE SCHEMA ${SWEEP_SCHEMA};
  CREATE TYPE "odd enum" AS ENUM ('', 'a "q"', 'ünï 😀', ' space ');
  CREATE TYPE odd_pair AS (a int, b text);
  CREATE TYPE odd_nest AS (p odd_pair, xs int[]);
  CREATE DOMAIN odd_text AS text CHECK (VALUE <> '');
  CREATE DOMAIN odd_int AS int4 CHECK (VALUE > 0);
  CREATE DOMAIN odd_jsonb AS jsonb;
  CREATE DOMAIN odd_tstz AS timestamptz;
  CREATE DOMAIN odd_num AS numeric(6,2);
  CREATE DOMAIN odd_ints AS int4[];
  CREATE TYPE odd_floatrange AS RANGE (subtype = float8);
  CREATE TABLE ${SWEEP_TABLE} (${SWEEP_COLUMNS.map((c) => `${quote(c.name)} ${c.sqlType}`).join(', ')});
`;

/** How many rows the sweep inserts: as many as the longest value list. */
export const SWEEP_ROWS = Math.max(...SWEEP_COLUMNS.map((c) => c.values.length));

/** INSERT of row i (1-based, with id `base + i`): the i-th value of every column that has one. */
export function sweepInsert(i: number, base = 0): string {
  const columns = SWEEP_COLUMNS.filter((c) => c.values.length >= i && !c.generated);
  return (
    `INSERT INTO ${SWEEP_TABLE} (id, ${columns.map((c) => quote(c.name)).join(', ')}) ` +
    `VALUES (${base + i}, ${columns.map((c) => c.values[i - 1]).join(', ')})`
  );
}

/** Columns as the oracle reads them (sqlType is not used there). Generated columns are not in the log
 *  (docs/types.md): no sink has them. */
export const SWEEP_SPECS: ColumnSpec[] = SWEEP_COLUMNS.filter((c) => !c.generated).map(
  ({ name, sqlType, family, array }) => ({
    name,
    sqlType,
    family,
    ...(array ? { array } : {}),
  }),
);
