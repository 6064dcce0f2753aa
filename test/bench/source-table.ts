/**
 * The benchmark table: public.docs(id, grp, title, body), ~300 B per row (the body is 240 chars of
 * varying text). Helpers to fill it with N transactions × M rows.
 */
import { Client } from 'pg';

export const DOCS_TABLE = 'public.docs';
export const ROW_BYTES = 300;

export const createDocsSql = `CREATE TABLE public.docs (
  id integer PRIMARY KEY,
  grp integer NOT NULL,
  title text NOT NULL,
  body text NOT NULL
)`;

/** The SELECT that produces rows [from, to] (also used by the raw bulk loader to build the same documents). */
export function docsRowsSql(from: number, to: number): string {
  return `SELECT g AS id, g % 100 AS grp, 'title ' || g AS title,
    rpad(md5(g::text), 240, md5((g * 7)::text)) AS body
  FROM generate_series(${from}, ${to}) AS g`;
}

/** Inserts `transactions` × `rowsPerTransaction` rows, one INSERT … SELECT per transaction. */
export async function fillDocs(
  url: string,
  transactions: number,
  rowsPerTransaction: number,
  firstId = 1,
): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (let t = 0; t < transactions; t++) {
      const from = firstId + t * rowsPerTransaction;
      await client.query(`INSERT INTO public.docs ${docsRowsSql(from, from + rowsPerTransaction - 1)}`);
    }
    return transactions * rowsPerTransaction;
  } finally {
    await client.end();
  }
}
