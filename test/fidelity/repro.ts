/**
 * Reproduces issue 16's value findings against the real stack: `npx tsx test/fidelity/repro.ts`.
 * Prints, per value, PostgreSQL's `col::text` and what the Elasticsearch _source and the Redis JSON
 * and hash caches hold (raw text, never parsed through JS doubles).
 */
import { esUrl, waitFor } from '@distributary/testkit';
import { startFidelityPipeline } from './fidelity-pipeline';

const DDL = `
  CREATE TABLE public.odd (id int PRIMARY KEY, j jsonb, js json, r real, d float8, ts timestamp, tz timestamptz);
`;
const ROWS = `
  INSERT INTO public.odd VALUES
    (1, '{"big":12345678901234567890}', '{"num":1.000000000000000000001}', '-0', '-0', '0044-03-15 12:00:00 BC', '-infinity'),
    (2, '{"neg":-1e400}', '"just a string"', 'NaN', 'Infinity', 'infinity', '0001-01-01 00:00:00+00 BC'),
    (3, 'null', 'null', 1.5, 2.25, '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+02'),
    (4, NULL, NULL, NULL, NULL, NULL, NULL);
`;

async function main(): Promise<void> {
  const p = await startFidelityPipeline(DDL, 'public.odd');
  try {
    await p.db.sql(ROWS);
    await waitFor('the rows in every sink', async () => {
      const cached = await p.redis.exists(`${p.jsonPrefix}4`, `${p.hashPrefix}4`);
      return cached === 2;
    });
    await new Promise((resolve) => setTimeout(resolve, 3000)); // Elasticsearch may reject rows
    const source = await p.db.sql<Record<string, string | null>>(
      'SELECT id::text, j::text, js::text, r::text, d::text, ts::text, tz::text FROM public.odd ORDER BY id',
    );
    for (const row of source) {
      const id = row.id as string;
      console.log(`\n== row ${id}`);
      console.log('postgres   ', JSON.stringify(row));
      console.log('es _source ', await fetch(`${esUrl()}/${p.alias}/_source/${id}`).then((r) => r.text()));
      console.log('json cache ', await p.redis.get(`${p.jsonPrefix}${id}`));
      console.log('hash cache ', JSON.stringify(await p.redis.hgetall(`${p.hashPrefix}${id}`)));
    }
    for (const key of await p.redis.keys(`*${p.alias}*`)) {
      if (!/dead|dlq/.test(key)) continue;
      const type = await p.redis.type(key);
      if (type === 'stream') console.log('dead letters', key, JSON.stringify(await p.redis.xrange(key, '-', '+')));
      else console.log('dead letters', key, type);
    }
  } finally {
    await p.stop();
  }
}

void main();
