/**
 * The index a sink creates refreshes every second unless the sink's settings say otherwise: left unset,
 * Elasticsearch skips the scheduled refresh of a shard nobody searched for 30 s, and a later bulk
 * request pays for the pile-up (see DEFAULT_REFRESH_INTERVAL). Checked on the real Elasticsearch: the
 * created index's settings, and every form in which a user may set the interval themselves.
 */
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createTestDatabase, esUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { setsRefreshInterval } from '../src/target/index-body';
import { dropIndices, sinkConfig } from './helpers';

const client = new Client({ node: esUrl() });
const prefix = uniqueName('h24_refresh');
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('h24_refresh');
  await db.sql(`CREATE TABLE public.t (id int PRIMARY KEY, name text)`);
});

afterAll(async () => {
  await dropIndices(client, prefix);
  await client.close();
  await db?.drop();
});

/** Opens a sink with `settings` and answers the refresh interval of the index behind its alias. */
async function refreshIntervalOf(suffix: string, settings: Record<string, unknown>): Promise<unknown> {
  const alias = `${prefix}_${suffix}`;
  await openSink(alias, settings);
  return intervalBehind(alias);
}

async function openSink(alias: string, settings: Record<string, unknown>): Promise<void> {
  const sink = createElasticsearchSink(
    sinkConfig({
      name: 'search',
      elasticsearch: { url: esUrl(), index: alias, settings },
      from: 'public.t',
      id: '{id}',
    }),
    { source: new PgSourceRows(db.url) },
  );
  try {
    await sink.open();
  } finally {
    await sink.close();
  }
}

async function intervalBehind(alias: string): Promise<unknown> {
  const found = await client.indices.getSettings({ index: alias });
  const [only] = Object.values(found);
  return only?.settings?.index?.refresh_interval;
}

describe('the refresh interval of a created index', () => {
  it('is 1s when the settings name none', async () => {
    expect(await refreshIntervalOf('unset', { number_of_replicas: 0 })).toBe('1s');
  });

  it("is the user's, in every form the settings may take", async () => {
    expect(await refreshIntervalOf('flat', { refresh_interval: '30s' })).toBe('30s');
    expect(await refreshIntervalOf('dotted', { 'index.refresh_interval': '5s' })).toBe('5s');
    expect(await refreshIntervalOf('nested', { index: { refresh_interval: '-1' } })).toBe('-1');
  });
});

describe('the refresh interval of an existing index', () => {
  it('is set to 1s in place when the index has none (made before the default), and kept when it has one', async () => {
    const alias = `${prefix}_existing`;
    await openSink(alias, { number_of_replicas: 0 });
    const [index] = Object.keys(await client.indices.getAlias({ name: alias }));
    await client.indices.putSettings({ index, settings: { 'index.refresh_interval': null } });
    expect(await intervalBehind(alias)).toBeUndefined();
    await openSink(alias, { number_of_replicas: 0 });
    expect(await intervalBehind(alias)).toBe('1s');
    expect(Object.keys(await client.indices.getAlias({ name: alias }))).toEqual([index]);

    await client.indices.putSettings({ index, settings: { 'index.refresh_interval': '10s' } });
    await openSink(alias, { number_of_replicas: 0 });
    expect(await intervalBehind(alias)).toBe('10s');
  });
});

describe('setsRefreshInterval', () => {
  it('finds the key flat, dotted or nested, and nothing else', () => {
    expect(setsRefreshInterval(undefined)).toBe(false);
    expect(setsRefreshInterval({ number_of_shards: 1, index: { number_of_replicas: 0 } })).toBe(false);
    expect(setsRefreshInterval({ 'index.refresh': '1s', analysis: { refresh_interval_x: 1 } })).toBe(false);
    expect(setsRefreshInterval({ refresh_interval: '2s' })).toBe(true);
    expect(setsRefreshInterval({ 'index.refresh_interval': '2s' })).toBe(true);
    expect(setsRefreshInterval({ index: { refresh_interval: '2s' } })).toBe(true);
  });
});
