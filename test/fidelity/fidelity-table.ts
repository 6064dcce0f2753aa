/** The fidelity suite's table: a column of every kind of type, and rows of odd values. */
import type { ColumnSpec } from './contract-oracle';

export const TABLE = 'public.fidelity';
export const MIXED = 'Mixed "Col" Name';
/** A column JavaScript objects treat specially (assigning it sets the prototype). */
export const PROTO = '__proto__';

export const COLUMNS: ColumnSpec[] = [
  { name: 'id', sqlType: 'int8 PRIMARY KEY', family: 'text' },
  { name: 'c_int2', sqlType: 'int2', family: 'number' },
  { name: 'c_int4', sqlType: 'int4', family: 'number' },
  { name: 'c_int8', sqlType: 'int8', family: 'text' },
  { name: 'c_oid', sqlType: 'oid', family: 'number' },
  { name: 'c_numeric', sqlType: 'numeric', family: 'text' },
  { name: 'c_float4', sqlType: 'float4', family: 'text' },
  { name: 'c_float8', sqlType: 'float8', family: 'text' },
  { name: 'c_money', sqlType: 'money', family: 'text' },
  { name: 'c_bool', sqlType: 'bool', family: 'bool' },
  { name: 'c_json', sqlType: 'json', family: 'json' },
  { name: 'c_jsonb', sqlType: 'jsonb', family: 'json' },
  { name: 'c_bytea', sqlType: 'bytea', family: 'bytea' },
  { name: 'c_timestamp', sqlType: 'timestamp', family: 'timestamp' },
  { name: 'c_timestamptz', sqlType: 'timestamptz', family: 'timestamptz' },
  { name: 'c_date', sqlType: 'date', family: 'date' },
  { name: 'c_time', sqlType: 'time', family: 'text' },
  { name: 'c_timetz', sqlType: 'timetz', family: 'text' },
  { name: 'c_interval', sqlType: 'interval', family: 'text' },
  { name: 'c_text', sqlType: 'text', family: 'text' },
  { name: 'c_varchar', sqlType: 'varchar(20)', family: 'text' },
  { name: 'c_bpchar', sqlType: 'char(6)', family: 'text' },
  { name: 'c_char', sqlType: '"char"', family: 'text' },
  { name: 'c_name', sqlType: 'name', family: 'text' },
  { name: 'c_xml', sqlType: 'xml', family: 'text' },
  { name: 'c_uuid', sqlType: 'uuid', family: 'text' },
  { name: 'c_inet', sqlType: 'inet', family: 'text' },
  { name: 'c_cidr', sqlType: 'cidr', family: 'text' },
  { name: 'c_macaddr', sqlType: 'macaddr', family: 'text' },
  { name: 'c_macaddr8', sqlType: 'macaddr8', family: 'text' },
  { name: 'c_bit', sqlType: 'bit(4)', family: 'text' },
  { name: 'c_varbit', sqlType: 'varbit', family: 'text' },
  { name: 'c_point', sqlType: 'point', family: 'text' },
  { name: 'c_line', sqlType: 'line', family: 'text' },
  { name: 'c_lseg', sqlType: 'lseg', family: 'text' },
  { name: 'c_box', sqlType: 'box', family: 'text' },
  { name: 'c_path', sqlType: 'path', family: 'text' },
  { name: 'c_polygon', sqlType: 'polygon', family: 'text' },
  { name: 'c_circle', sqlType: 'circle', family: 'text' },
  { name: 'c_tsvector', sqlType: 'tsvector', family: 'text' },
  { name: 'c_tsquery', sqlType: 'tsquery', family: 'text' },
  { name: 'c_jsonpath', sqlType: 'jsonpath', family: 'text' },
  { name: 'c_pg_lsn', sqlType: 'pg_lsn', family: 'text' },
  { name: 'c_pg_snapshot', sqlType: 'pg_snapshot', family: 'text' },
  { name: 'c_txid_snapshot', sqlType: 'txid_snapshot', family: 'text' },
  { name: 'c_xid', sqlType: 'xid', family: 'text' },
  { name: 'c_xid8', sqlType: 'xid8', family: 'text' },
  { name: 'c_cid', sqlType: 'cid', family: 'text' },
  { name: 'c_tid', sqlType: 'tid', family: 'text' },
  { name: 'c_regclass', sqlType: 'regclass', family: 'text' },
  { name: 'c_regtype', sqlType: 'regtype', family: 'text' },
  { name: 'c_refcursor', sqlType: 'refcursor', family: 'text' },
  { name: 'c_int4range', sqlType: 'int4range', family: 'text' },
  { name: 'c_numrange', sqlType: 'numrange', family: 'text' },
  { name: 'c_tstzrange', sqlType: 'tstzrange', family: 'text' },
  { name: 'c_daterange', sqlType: 'daterange', family: 'text' },
  { name: 'c_int8multirange', sqlType: 'int8multirange', family: 'text' },
  { name: 'a_int', sqlType: 'int[]', family: 'number', array: 'flat' },
  { name: 'a_int2d', sqlType: 'int[][]', family: 'number', array: 'nested' },
  { name: 'a_float8', sqlType: 'float8[]', family: 'text', array: 'flat' },
  { name: 'a_numeric', sqlType: 'numeric[]', family: 'text', array: 'flat' },
  { name: 'a_jsonb', sqlType: 'jsonb[]', family: 'json', array: 'flat' },
  { name: 'a_text', sqlType: 'text[]', family: 'text', array: 'flat' },
  { name: 'a_timestamptz', sqlType: 'timestamptz[]', family: 'timestamptz', array: 'flat' },
  { name: 'a_bool', sqlType: 'bool[]', family: 'bool', array: 'flat' },
  { name: 'c_domain', sqlType: 'positive_num', family: 'text' },
  { name: 'c_enum', sqlType: 'mood', family: 'text' },
  { name: 'c_composite', sqlType: 'pair', family: 'text' },
  { name: MIXED, sqlType: 'text', family: 'text' },
  { name: PROTO, sqlType: 'text', family: 'text' },
  { name: 'c_toast', sqlType: 'text', family: 'text' },
];

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export const DDL = `
  CREATE TYPE mood AS ENUM ('sad', 'happy');
  CREATE TYPE pair AS (a int, b text);
  CREATE DOMAIN positive_num AS numeric CHECK (VALUE > 0);
  CREATE TABLE ${TABLE} (${COLUMNS.map((c) => `${quote(c.name)} ${c.sqlType}`).join(', ')});
  ALTER TABLE ${TABLE} ALTER COLUMN c_toast SET STORAGE EXTERNAL;
`;

/** Row 1: the odd values of every type (and a TOASTed text). */
export const ODD_ROW = `
  INSERT INTO ${TABLE} VALUES (
    1, -32768, 2147483647, 9223372036854775807, 4294967295,
    (repeat('9', 600) || '.' || repeat('1', 399) || '7')::numeric, '-0', 'NaN', '-92233720368547758.08', true,
    '{"num":1.000000000000000000001, "tiny":1e-400, "neg":-1e400, "dup":1, "dup":2, "s":"😀𝄞"}',
    '{"big": 12345678901234567890, "huge": 123456789012345678901234567890, "neg": -1e400, "tiny": 1e-400, "astral": "𝄞"}',
    '\\x00ff10', '0044-03-15 12:00:00.5 BC', '-infinity', '4713-01-01 BC', '24:00:00', '13:14:15.5+05:30',
    '-178000000 years 1 microsecond',
    E'tab\\there "quoted" \\\\ back 😀𝄞 ünïcödé', 'short', 'ab', 'x', 'a name', '<a b="1">x</a>',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '::1/128', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
    B'1010', B'1', '(1.5,-0)', '{1,-1,0}', '[(0,0),(1,1)]', '((0,0),(1,1))', '[(0,0),(1,1),(2,0)]',
    '((0,0),(1,1),(1,0))', '<(0,0),1>', 'a:1 b:2', 'a & !b', '$.a[*] ? (@ > 1)', '16/B374D848', '10:20:10,14,15',
    '10:20:10,14,15', '1234', '18446744073709551615', '7', '(1,2)', 'pg_class', 'integer', 'cur',
    '[1,5)', '(0.5,1e30]', '[2024-01-01 00:00:00+00,infinity)', '[2024-01-01,2024-02-01)', '{[1,3), [10,20)}',
    '{1,NULL,3}', '{{1,2},{3,4}}', '{1.5,-0,NaN,Infinity,-Infinity,NULL,1e-300}', '{0.1,NaN,-Infinity}',
    ARRAY['null'::jsonb, '{"big": 18446744073709551616}', NULL, '"s"'],
    '{"a b","",NULL,"NULL","😀"}', ARRAY['infinity', '0044-03-15 12:00:00+00 BC']::timestamptz[], '{t,f,NULL}',
    0.001, 'happy', ROW(1, 'a "b"'), 'mixed', '{"polluted": true}',
    (SELECT string_agg(md5(i::text || random()::text), '') FROM generate_series(1, 4000) i)
  )`;

export const NULL_ROW = `INSERT INTO ${TABLE} (id) VALUES (2)`;

export const PLAIN_ROW = `
  INSERT INTO ${TABLE} (id, c_float4, c_float8, c_numeric, c_json, c_jsonb, c_timestamp, c_timestamptz, c_date,
                        c_interval, c_bool, c_int4, a_float8)
  VALUES (9223372036854775807, 1.5, '-Infinity', 'NaN', '"just a string"', 'null', 'infinity',
          '2024-01-02 03:04:05.5+02', 'infinity', '1 day', false, 0, '{}')`;
