import type { ScalarKind } from './value-kind';

export interface TypeContractRow {
  /** A short name for the row. */
  title: string;
  /** pg_catalog type names the row covers (for rows of other kinds of type: empty). */
  types: string[];
  /** How text is converted (value-kind.ts); 'exact' keeps PostgreSQL's text. */
  kind: ScalarKind | 'array' | 'by base type';
  /** What the log holds, in words. */
  log: string;
  /** SQL expressions whose values illustrate the row in docs/types.md. */
  examples: string[];
}

/**
 * The type contract, as data: for every PostgreSQL type, how its value is held in the change log
 * (and so what every sink writes). docs/types.md is generated from this table with real values
 * (test/fidelity/type-contract.test.ts fails when the two differ, or when PostgreSQL has a built-in
 * type no row names).
 */
export const TYPE_CONTRACT: TypeContractRow[] = [
  {
    title: 'small integers',
    types: ['int2', 'int4', 'oid'],
    kind: 'int',
    log: 'JSON number (always exact: at most 32 bits)',
    examples: ['2147483647::int4', '(-32768)::int2'],
  },
  {
    title: 'int8',
    types: ['int8'],
    kind: 'exact',
    log: 'string, the exact decimal (2^63−1 is beyond a JS number)',
    examples: ['9223372036854775807::int8'],
  },
  {
    title: 'numeric',
    types: ['numeric'],
    kind: 'exact',
    log: "string, PostgreSQL's exact text with its scale; 'NaN', 'Infinity', '-Infinity' as such",
    examples: ["'12345678901234567890.1230'::numeric", "'NaN'::numeric", "'-Infinity'::numeric"],
  },
  {
    title: 'floating point',
    types: ['float4', 'float8'],
    kind: 'exact',
    log: "string, PostgreSQL's shortest exact text — the same way for every row: '1.5', '-0', 'NaN', 'Infinity', '-Infinity', '1e-300'",
    examples: ["'-0'::float8", "'NaN'::float8", "'-Infinity'::float4", "'0.1'::float8", "'1e-300'::float8"],
  },
  {
    title: 'money',
    types: ['money'],
    kind: 'exact',
    log: "string, PostgreSQL's text (depends on lc_monetary)",
    examples: ['1234.56::money'],
  },
  { title: 'boolean', types: ['bool'], kind: 'bool', log: 'JSON true / false', examples: ['true', 'false'] },
  {
    title: 'json, jsonb',
    types: ['json', 'jsonb'],
    kind: 'json',
    log: "PostgreSQL's exact JSON text (JsonText). Sinks embed it verbatim: numbers beyond 2^64 or 1e-400 unchanged, a JSON null is not SQL NULL, a JSON string keeps its quotes where the sink stores text; json keeps key order and duplicate keys (line breaks become spaces)",
    examples: [
      `'{"big": 12345678901234567890, "small": 1e-20}'::jsonb`,
      `'{"num":1.000000000000000000001, "tiny":1e-400, "neg":-1e400, "a":1, "a":2}'::json`,
      `'null'::jsonb`,
      `'"just a string"'::json`,
    ],
  },
  {
    title: 'bytea',
    types: ['bytea'],
    kind: 'bytea',
    log: 'string, the bytes in base64',
    examples: ["'\\x00ff10'::bytea"],
  },
  {
    title: 'timestamp',
    types: ['timestamp'],
    kind: 'timestamp',
    log: "string, ISO-8601 without zone, PostgreSQL's fractional digits; BC as astronomical years (1 BC = 0000, 44 BC = -0043), years past 9999 with '+'; 'infinity', '-infinity' kept",
    examples: [
      "'2024-01-02 03:04:05.123456'::timestamp",
      "'0044-03-15 12:00:00 BC'::timestamp",
      "'infinity'::timestamp",
    ],
  },
  {
    title: 'timestamptz',
    types: ['timestamptz'],
    kind: 'timestamptz',
    log: "string, ISO-8601 in UTC ('Z') whatever the session TimeZone, otherwise as timestamp",
    examples: [
      "'2024-01-02 03:04:05+02'::timestamptz",
      "'0001-01-01 00:00:00+00 BC'::timestamptz",
      "'-infinity'::timestamptz",
    ],
  },
  {
    title: 'date',
    types: ['date'],
    kind: 'date',
    log: "string, ISO-8601 (YYYY-MM-DD), BC and 'infinity' as for timestamp",
    examples: ["'2024-02-29'::date", "'0044-03-15 BC'::date"],
  },
  {
    title: 'time of day, interval',
    types: ['time', 'timetz', 'interval'],
    kind: 'exact',
    log: "string, PostgreSQL's text (IntervalStyle postgres)",
    examples: ["'13:14:15.5+05:30'::timetz", "'1 year 2 mons 3 days 04:05:06.789'::interval"],
  },
  {
    title: 'text',
    types: ['text', 'varchar', 'bpchar', 'char', 'name', 'xml', 'uuid', 'refcursor'],
    kind: 'exact',
    log: 'string, exactly (char(n) with its padding; every Unicode character, astral plane included)',
    examples: ['\'héllo "quoted" 😀𝄞\'::text', "'ab'::char(4)"],
  },
  {
    title: 'network, bits, geometry, text search, other built-ins',
    types: [
      'inet',
      'cidr',
      'macaddr',
      'macaddr8',
      'bit',
      'varbit',
      'point',
      'line',
      'lseg',
      'box',
      'path',
      'polygon',
      'circle',
      'tsvector',
      'tsquery',
      'gtsvector',
      'jsonpath',
      'pg_lsn',
      'pg_snapshot',
      'txid_snapshot',
      'xid',
      'xid8',
      'cid',
      'tid',
      'aclitem',
      'regclass',
      'regcollation',
      'regconfig',
      'regdictionary',
      'regnamespace',
      'regoper',
      'regoperator',
      'regproc',
      'regprocedure',
      'regrole',
      'regtype',
      'pg_node_tree',
      'pg_ndistinct',
      'pg_dependencies',
      'pg_mcv_list',
      'pg_brin_bloom_summary',
      'pg_brin_minmax_multi_summary',
    ],
    kind: 'exact',
    log: "string, PostgreSQL's text output",
    examples: ["'192.168.0.1/24'::inet", "B'1011'::varbit", "'(1,2)'::point", "'a:1 b:2'::tsvector"],
  },
  {
    title: 'ranges, multiranges',
    types: [
      'int4range',
      'int8range',
      'numrange',
      'tsrange',
      'tstzrange',
      'daterange',
      'int4multirange',
      'int8multirange',
      'nummultirange',
      'tsmultirange',
      'tstzmultirange',
      'datemultirange',
    ],
    kind: 'exact',
    log: "string, PostgreSQL's text (bounds inside are not converted: a tstzrange shows the server's TimeZone)",
    examples: ["'[1,5)'::int4range", "'{[1,2], [4,5)}'::int4multirange"],
  },
  {
    title: 'arrays',
    types: [],
    kind: 'array',
    log: 'JSON array (nested for multi-dimensional arrays; lower bounds are dropped) of the element values by the rows above; NULL elements null',
    examples: ["'{1,NULL,3}'::int[]", "'{{1.5,-0},{NaN,Infinity}}'::float8[]", `'{"{\\"a\\": 1}",null}'::jsonb[]`],
  },
  {
    title: 'domains',
    types: [],
    kind: 'by base type',
    log: 'as the base type',
    examples: [],
  },
  {
    title: 'enums, composite types, extension types',
    types: [],
    kind: 'exact',
    log: "string, PostgreSQL's text output (a composite as '(1,\"a b\")')",
    examples: ["ROW(1, 'a b')"],
  },
];
