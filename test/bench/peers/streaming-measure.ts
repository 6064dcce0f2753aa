/**
 * The streaming measure both peers are timed on (pgsync.ts, ours-streaming.ts): with N products already
 * in the index, N more inserted in transactions of M and category 1 renamed; done when every document
 * is present and every renamed one shows the new name.
 */
import type { Client } from '@elastic/elasticsearch';
import type { TestDatabase } from '@distributary/testkit';
import { CATEGORY_COUNT, productRowsSql } from '../joined-table';

/** Documents in `index` (refreshed first) matching `query`, or all. */
export async function count(es: Client, index: string, query?: object): Promise<number> {
  await es.indices.refresh({ index });
  return (await es.count({ index, ...(query ? { query } : {}) })).count;
}

/** Writes the measure's changes after `products` existing ones; returns the changes to wait for. */
export async function writeStreamingChanges(
  db: Pick<TestDatabase, 'sql'>,
  products: number,
  transactions: number,
  rowsPerTransaction: number,
): Promise<{ changes: number; renamed: number }> {
  const renamed = (2 * products) / CATEGORY_COUNT; // category 1 holds ids ≡ 0 mod 50
  for (let t = 0; t < transactions; t++) {
    const from = products + 1 + t * rowsPerTransaction;
    await db.sql(`INSERT INTO public.products ${productRowsSql(from, from + rowsPerTransaction - 1)}`);
  }
  await db.sql(`UPDATE public.categories SET name = 'renamed' WHERE id = 1`);
  return { changes: products + renamed, renamed };
}

/** Whether the index holds the measure's end state: 2N documents, `renamed` of them renamed. */
export async function streamingApplied(es: Client, index: string, products: number, renamed: number): Promise<boolean> {
  return (
    (await count(es, index)) === 2 * products &&
    (await count(es, index, { match_phrase: { 'category.name': 'renamed' } })) === renamed
  );
}
