/**
 * The mapping check against the real Elasticsearch: its model of what a field accepts agrees with the
 * server for every probe value and field type, and a sink whose explicit mapping cannot hold a legal
 * value refuses to open (creating no index), while a compatible one opens. (unsigned_long and
 * scaled_float are modules the local stack's distribution lacks: the model alone covers them.)
 */
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchSink, MappingRefusedError } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createTestDatabase, esUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { fieldAccepts, type FieldMapping } from '../src/target/field-accepts';
import { probesFor, type Probe } from '../src/target/value-probes';
import { dropIndices, sinkConfig } from './helpers';

const client = new Client({ node: esUrl() });
const prefix = uniqueName('h16_mapcheck');

const BASE_TYPES = ['int2', 'int4', 'oid', 'int8', 'numeric', 'float4', 'float8', 'bool', 'timestamp'];
const MORE_TYPES = ['timestamptz', 'date', 'jsonb', 'bytea', 'money', 'text'];
const FIELDS: Record<string, Record<string, unknown>> = {
  long: { type: 'long' },
  integer: { type: 'integer' },
  short: { type: 'short' },
  byte: { type: 'byte' },
  long_strict: { type: 'long', coerce: false },
  double: { type: 'double' },
  float: { type: 'float' },
  half_float: { type: 'half_float' },
  double_lenient: { type: 'double', ignore_malformed: true },
  date: { type: 'date' },
  date_nanos: { type: 'date_nanos' },
  date_lenient: { type: 'date', ignore_malformed: true },
  boolean: { type: 'boolean' },
  keyword: { type: 'keyword' },
  text: { type: 'text' },
  flattened: { type: 'flattened' },
  object: { type: 'object', properties: { a: { type: 'long' } } },
  disabled: { type: 'object', enabled: false },
};

function modelOf(mapping: Record<string, unknown>): FieldMapping {
  return {
    type: mapping.type as string,
    coerce: mapping.coerce as boolean | undefined,
    ignoreMalformed: mapping.ignore_malformed === true,
    enabled: mapping.enabled as boolean | undefined,
  };
}

/** The probe as the sink's document line carries it. */
function jsonOf(probe: Probe): string {
  if (probe.shape === 'number' || probe.shape === 'bool' || probe.shape === 'json') return probe.shown;
  return JSON.stringify(probe.shown);
}

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('h16_mapcheck');
  await db.sql(
    `CREATE TABLE public.t (id int PRIMARY KEY, at timestamptz, ratio float8, big int8, doc jsonb, name text)`,
  );
});

afterAll(async () => {
  await dropIndices(client, prefix);
  await client.close();
  await db?.drop();
});

describe('the mapping check agrees with the real Elasticsearch', () => {
  it('for every probe value of every source type and every field type it judges', async () => {
    const index = `${prefix}_probe`;
    await client.indices.create({
      index,
      settings: { number_of_replicas: 0 },
      mappings: { dynamic: false, properties: FIELDS },
    });
    const cases: { field: string; probe: Probe; cast: string }[] = [];
    const sources = [...BASE_TYPES, ...MORE_TYPES].map((base) => [base, base]);
    sources.push(['numeric', 'numeric(10,2)'], ['numeric', 'numeric(20,0)']);
    for (const [base, sqlType] of sources)
      for (const cast of ['copy', 'number'] as const)
        for (const probe of probesFor(base, cast, sqlType))
          for (const field of Object.keys(FIELDS)) cases.push({ field, probe, cast: `${cast} ${sqlType}` });
    const body = cases.map(({ field, probe }) => `{"index":{}}\n{"${field}":${jsonOf(probe)}}\n`).join('');
    const response = await client.transport.request<{ items: { index: { status: number; error?: unknown } }[] }>({
      method: 'POST',
      path: `/${index}/_bulk`,
      bulkBody: body,
    });
    const disagreements = cases
      .map((c, i) => ({
        ...c,
        server: response.items[i].index.status < 300,
        model: fieldAccepts(modelOf(FIELDS[c.field]), c.probe),
      }))
      .filter((c) => c.server !== c.model)
      .map((c) => `${c.cast} ${c.probe.shown} -> ${c.field}: server ${c.server ? 'accepts' : 'refuses'}`);
    expect(disagreements).toEqual([]);
  });
});

describe('an Elasticsearch sink with an explicit mapping', () => {
  const open = async (alias: string, properties: Record<string, unknown>, document?: Record<string, unknown>) => {
    const sink = createElasticsearchSink(
      sinkConfig({
        name: 'search',
        elasticsearch: { url: esUrl(), index: alias, settings: { number_of_replicas: 0 }, mappings: { properties } },
        from: 'public.t',
        id: '{id}',
        ...(document ? { document } : {}),
      }),
      { source: new PgSourceRows(db.url) },
    );
    try {
      await sink.open();
    } finally {
      await sink.close();
    }
  };

  it('refuses to open when the mapping cannot hold a legal value, naming field, type, value and a fix', async () => {
    const alias = `${prefix}_bad`;
    const refused = open(alias, { at: { type: 'date' }, ratio: { type: 'double' }, name: { type: 'text' } });
    await expect(refused).rejects.toBeInstanceOf(MappingRefusedError);
    await expect(refused).rejects.toThrow(
      /^sink search: the Elasticsearch mapping cannot hold every legal value[\s\S]*field "at" is mapped as \[date\], but column at of public\.t \(timestamp with time zone\) can hold 'infinity'[\s\S]*keyword/,
    );
    await expect(refused).rejects.toThrow(
      /field "ratio" is mapped as \[double\], but column ratio of public\.t \(double precision\) can hold 'NaN'/,
    );
    expect(await client.indices.exists({ index: alias })).toBe(false);
    expect(await client.indices.exists({ index: `${alias}_v1` })).toBe(false);
  });

  it('opens when every explicitly mapped field holds every legal value (others are left to dynamic mapping)', async () => {
    const alias = `${prefix}_good`;
    await open(
      alias,
      {
        at: { type: 'date', ignore_malformed: true },
        big: { type: 'long' },
        doc: { type: 'flattened' },
        name: { type: 'text' },
        ratio_n: { type: 'double' },
      },
      { at: 'at', big: 'big', doc: 'doc', name: 'name', ratio: 'ratio', ratio_n: { expr: '$number(ratio)' } },
    );
    expect(await client.indices.exists({ index: alias })).toBe(true);
  });
});
