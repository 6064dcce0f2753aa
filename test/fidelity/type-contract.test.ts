import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { createRawTextPool } from '@distributary/pg-catalog';
import { TYPE_CONTRACT } from '@distributary/pg-decode';
import { pgUrl } from '@distributary/testkit';
import { DOC_PATH as DOC, renderTypesDoc } from './types-doc';

describe('the type contract (docs/types.md)', () => {
  let pool: Pool;
  beforeAll(() => {
    pool = createRawTextPool(pgUrl(), { max: 1 });
  });
  afterAll(async () => {
    await pool.end();
  });

  it('names every built-in type of PostgreSQL exactly once', async () => {
    const { rows } = await pool.query<{ typname: string }>(
      `SELECT typname FROM pg_type WHERE typnamespace = 'pg_catalog'::regnamespace
          AND typtype IN ('b', 'r', 'm') AND typcategory <> 'A' AND typisdefined ORDER BY typname`,
    );
    const named = TYPE_CONTRACT.flatMap((row) => row.types);
    expect(new Set(named).size).toBe(named.length);
    expect([...named].sort()).toEqual(rows.map((r) => r.typname));
  });

  it('docs/types.md is what the code does (UPDATE_TYPES_DOC=1 rewrites it)', async () => {
    const generated = await renderTypesDoc(pool);
    if (process.env.UPDATE_TYPES_DOC === '1') writeFileSync(DOC, generated);
    expect(
      readFileSync(DOC, 'utf8'),
      'docs/types.md is stale: run UPDATE_TYPES_DOC=1 npx vitest run test/fidelity/type-contract.test.ts',
    ).toBe(generated);
  });
});
