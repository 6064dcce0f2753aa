/**
 * Creates the `shop` database when it is missing and loads schema.sql and seed.sql into it.
 * Idempotent: run it as often as you like.
 *
 *   npx tsx examples/shop/load.ts [--url postgres://postgres@127.0.0.1:15432/shop]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { Client } from 'pg';

export const DEFAULT_SHOP_URL = 'postgres://postgres@127.0.0.1:15432/shop';

export async function loadShop(url: string): Promise<{ created: boolean; counts: Record<string, number> }> {
  const target = new URL(url);
  const database = decodeURIComponent(target.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`unsupported database name "${database}"`);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';

  const admin = new Client({ connectionString: maintenance.toString() });
  await admin.connect();
  let created = false;
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${database}`);
      created = true;
    }
  } finally {
    await admin.end();
  }

  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const file of ['schema.sql', 'seed.sql']) await client.query(readFileSync(join(__dirname, file), 'utf8'));
    const counts: Record<string, number> = {};
    for (const table of ['categories', 'products', 'customers', 'orders']) {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM public.${table}`);
      counts[table] = Number(rows[0].n);
    }
    return { created, counts };
  } finally {
    await client.end();
  }
}

if (require.main === module) {
  const options = new Command('load')
    .description('create the shop database (when missing) and load schema.sql + seed.sql')
    .option('--url <url>', 'database URL', process.env.PG_URL ?? DEFAULT_SHOP_URL)
    .parse()
    .opts<{ url: string }>();
  loadShop(options.url).then(
    ({ created, counts }) => {
      const summary = Object.entries(counts)
        .map(([t, n]) => `${n} ${t}`)
        .join(', ');
      console.log(`${created ? 'created' : 'found'} database; ${summary}`);
    },
    (error: Error) => {
      console.error(`load failed: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
