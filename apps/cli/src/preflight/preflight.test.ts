/**
 * `run` refuses a configuration before it creates anything: for every refused configuration below
 * (offline problems and server problems), it exits 2 naming the path, and afterwards there is no
 * replication slot, no publication, no Elasticsearch index and no log key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '@distributary/changelog';
import { createTestDatabase, esUrl, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { runInProcess } from '../test-support/in-process';

const dir = mkdtempSync(join(tmpdir(), 'distributary-preflight-'));
const namespace = uniqueName('preflight');
const index = uniqueName('preflight_idx').replace(/_/g, '-');
const redis = connectRedis({ url: redisUrl(0) });
let db: TestDatabase;

beforeAll(async () => {
  // Unreachable servers are waited for (60 s by default): refuse at once here.
  process.env.DISTRIBUTARY_PREFLIGHT_WAIT_MS = '0';
  db = await createTestDatabase('preflight');
  await db.sql('CREATE TABLE public.items (id int PRIMARY KEY, name text)');
});

afterAll(async () => {
  delete process.env.DISTRIBUTARY_PREFLIGHT_WAIT_MS;
  redis.disconnect();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

interface Variant {
  tables?: string;
  logRedis?: string;
  sink?: string[];
  admin?: string;
}

function config(variant: Variant): string {
  return [
    'source:',
    `  postgres: { url: "${db.url}", slot: ${namespace}, publication: ${namespace} }`,
    `  tables: [${variant.tables ?? 'public.items'}]`,
    'log:',
    `  redis: { url: "${variant.logRedis ?? redisUrl(0)}" }`,
    `  namespace: ${namespace}`,
    '  partitions: 2',
    'sinks:',
    ...(variant.sink ?? [
      '  - name: search',
      `    elasticsearch: { url: "${esUrl()}", index: ${index} }`,
      '    from: public.items',
    ]),
    ...(variant.admin === undefined
      ? ['admin: { host: 127.0.0.1, port: 1, tokens: [{ role: operator, token: preflight-operator-token }] }']
      : [variant.admin]),
    '',
  ]
    .join('\n')
    .split('@DB@')
    .join(db.url);
}

const REFUSED: [string, Variant, string][] = [
  ['no admin token', { admin: 'admin: { host: 127.0.0.1 }' }, 'admin.tokens'],
  ['a table that does not exist', { tables: 'public.items, public.nowhere' }, 'source.tables[1]'],
  [
    'an unreachable Elasticsearch',
    {
      sink: [
        '  - name: search',
        `    elasticsearch: { url: "http://127.0.0.1:1", index: ${index} }`,
        '    from: public.items',
      ],
    },
    'sinks[0].elasticsearch.url',
  ],
  [
    'a log Redis database the server does not have',
    { logRedis: `${redisUrl(0).replace(/\/\d*$/, '')}/9999` },
    'log.redis',
  ],
  [
    'an Elasticsearch URL without a host',
    { sink: ['  - name: search', '    elasticsearch: { url: "http://", index: x }', '    from: public.items'] },
    'sinks[0].elasticsearch.url',
  ],
  [
    'view SQL the view sink cannot maintain',
    {
      sink: [
        '  - name: totals',
        `    view: { postgres: "@DB@", table: analytics.totals }`,
        '    sql: SELECT name, count(*) AS n FROM public.items GROUP BY name HAVING count(*) > 1',
      ],
    },
    'sinks[0].sql',
  ],
];

async function leftovers(): Promise<string[]> {
  const found: string[] = [];
  const slots = await db.sql('SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1', [namespace]);
  if (slots.length) found.push(`slot ${namespace}`);
  const pubs = await db.sql('SELECT pubname FROM pg_publication WHERE pubname = $1', [namespace]);
  if (pubs.length) found.push(`publication ${namespace}`);
  const keys = await redis.keys(`${namespace}*`);
  found.push(...keys.map((k) => `key ${k}`));
  const response = await fetch(`${esUrl()}/${index}*?allow_no_indices=true&expand_wildcards=all`);
  const indices = Object.keys((await response.json()) as Record<string, unknown>);
  found.push(...indices.map((i) => `index ${i}`));
  return found;
}

describe('run refuses a configuration before creating anything', () => {
  it.each(REFUSED)('%s: exit 2, the path named, nothing created', async (_name, variant, path) => {
    const file = join(dir, `${uniqueName('c')}.yaml`);
    writeFileSync(file, config(variant));
    const result = await runInProcess(['run', '--config', file]);
    expect(result.stderr).toContain(`invalid configuration in ${file}`);
    expect(result.stderr).toContain(path);
    expect(result.code).toBe(2);
    expect(await leftovers()).toEqual([]);
  });
});

describe('validate makes the same offline checks', () => {
  it('refuses a config without an admin token (exit 2), unless only a role that needs none is checked', async () => {
    const file = join(dir, `${uniqueName('v')}.yaml`);
    writeFileSync(file, config({ admin: 'admin: { host: 127.0.0.1 }' }));
    const all = await runInProcess(['validate', '--config', file]);
    expect(all.code).toBe(2);
    expect(all.stderr).toContain('admin.tokens');
    const worker = await runInProcess(['validate', '--only', 'worker', '--config', file]);
    expect(worker.code).toBe(0);
    expect(worker.stdout).toContain(`OK ${file}`);
  });
});
