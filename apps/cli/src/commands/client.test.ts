/**
 * `distributary client types`: generated from a configuration and a real source catalog, the module
 * compiles with tsc (strict, the repository's settings) together with an application file that uses
 * it through createClient<Subscriptions>() and liveQueryHook<Subscriptions>() — including
 * `@ts-expect-error` lines (an unknown subscription, a missing parameter, a column that is not
 * projected, a nullable column used as non-null), which tsc rejects if they stop being errors.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, uniqueName, type TestDatabase } from '@distributary/testkit';
import { runInProcess } from '../test-support/in-process';

const ROOT = resolve(__dirname, '../../../..');
const dir = join(ROOT, '.local', 'tmp', uniqueName('client-types'));
let db: TestDatabase;

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  db = await createTestDatabase('clitypes');
  await db.sql(`CREATE TYPE mood AS ENUM ('ok', 'sad')`);
  await db.sql(
    `CREATE TABLE items (id int PRIMARY KEY, category_id int NOT NULL, name text NOT NULL, price numeric(12,2),
       big int8, ratio float8, on_sale bool NOT NULL DEFAULT false, meta jsonb, tags text[], seen timestamptz, m mood)`,
  );
  writeFileSync(
    join(dir, 'gateway.yaml'),
    [
      'source:',
      `  postgres: { url: "${db.url}" }`,
      '  tables: [public.items]',
      'log:',
      '  redis: { url: "redis://127.0.0.1:16379" }',
      'gateway:',
      `  keys: [{ kid: k1, secret: "${'s'.repeat(40)}" }]`,
      'subscriptions:',
      '  - name: items-by-category',
      '    table: public.items',
      '    filter: "category_id = :category"',
      '    params: [category]',
      '    columns: [id, name, price, meta, tags]',
      '  - { name: everything, table: public.items, order: [{ column: id }], limit: 5 }',
      '',
    ].join('\n'),
  );
}, 60_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await db?.drop();
});

const USAGE = `
import { createClient } from '@distributary/client';
import { liveQueryHook } from '@distributary/client/react';
import type { JsonValue, Subscriptions } from './subscriptions';

const client = createClient<Subscriptions>('http://127.0.0.1:8090');
const live = client.subscribe('items-by-category', { category: 3 }, {
  onChange: (change) => {
    const price: string | null | undefined = change.row?.price;
    void price;
  },
});
for (const row of live.rows().values()) {
  const id: number = row.id;
  const name: string = row.name;
  const meta: JsonValue | null = row.meta;
  const tags: (string | null)[] | null = row.tags;
  void [id, name, meta, tags];
}
const all = client.subscribe('everything', {});
for (const row of all.rows().values()) {
  const big: string | null = row.big;
  const ratio: string | null = row.ratio;
  const onSale: boolean = row.on_sale;
  const seen: string | null = row.seen;
  const m: string | null = row.m;
  const categoryId: number = row.category_id;
  void [big, ratio, onSale, seen, m, categoryId];
}
// @ts-expect-error an unknown subscription
client.subscribe('nope', {});
// @ts-expect-error a missing parameter
client.subscribe('items-by-category', {});
for (const row of live.rows().values()) {
  // @ts-expect-error not projected by items-by-category
  void row.big;
  // @ts-expect-error price is nullable
  const price: string = row.price;
  void price;
}

const useShopQuery = liveQueryHook<Subscriptions>();
export function useFirstId(): number | undefined {
  const { rows } = useShopQuery('items-by-category', { category: 3 }, { gatewayUrl: 'http://127.0.0.1:8090' });
  return rows[0]?.id;
}
`;

describe('distributary client types', () => {
  it('prints types that compile with the client library and catch misuse', async () => {
    const result = await runInProcess(['client', 'types', '-c', join(dir, 'gateway.yaml')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('export type ItemsByCategoryRow = {');
    expect(result.stdout).toContain('"price": string | null;');
    writeFileSync(join(dir, 'subscriptions.ts'), result.stdout);
    writeFileSync(join(dir, 'usage.ts'), USAGE);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.base.json'),
        compilerOptions: { noEmit: true, noUnusedLocals: false },
        include: [join(dir, '*.ts')],
      }),
    );
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    let output = '';
    try {
      execFileSync(tsc, ['-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 120_000);

  it('fails clearly without subscriptions', async () => {
    writeFileSync(
      join(dir, 'none.yaml'),
      [
        'source:',
        `  postgres: { url: "${db.url}" }`,
        '  tables: [public.items]',
        'log:',
        '  redis: { url: "redis://127.0.0.1:16379" }',
        '',
      ].join('\n'),
    );
    const result = await runInProcess(['client', 'types', '-c', join(dir, 'none.yaml')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('no subscriptions');
  });
});
