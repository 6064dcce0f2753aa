import type { Pool } from 'pg';
import { SCALAR_KIND_BY_TYPNAME, type ValueKind } from '@distributary/pg-decode';

interface PgTypeRow {
  typname: string;
  nspname: string;
  typtype: string;
  typbasetype: number;
  typelem: number;
  typdelim: string;
  typcategory: string;
}

/**
 * Maps a column's type OID to how its text is converted, from the catalog: domains resolve to their
 * base type, enums, composites, ranges and extension types keep their exact text, arrays (typcategory 'A') to arrays of their element type. Cached per OID.
 */
export class TypeResolver {
  private readonly cache = new Map<number, ValueKind>();

  constructor(private readonly pool: Pool) {}

  async resolve(oid: number): Promise<ValueKind> {
    const cached = this.cache.get(oid);
    if (cached) return cached;
    const { rows } = await this.pool.query<PgTypeRow>(
      `SELECT t.typname, n.nspname, t.typtype, t.typbasetype::int AS typbasetype, t.typelem::int AS typelem,
              t.typdelim, t.typcategory
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = $1`,
      [oid],
    );
    const row = rows[0];
    if (!row) throw new Error(`unknown type OID ${oid}`);
    let kind: ValueKind;
    if (row.typtype === 'd') kind = await this.resolve(row.typbasetype);
    else if (row.typcategory === 'A' && row.typelem !== 0)
      kind = { array: await this.resolve(row.typelem), delimiter: row.typdelim };
    else if (row.typtype === 'b' && row.nspname === 'pg_catalog')
      kind = { scalar: SCALAR_KIND_BY_TYPNAME[row.typname] ?? 'exact' };
    else kind = { scalar: 'exact' };
    this.cache.set(oid, kind);
    return kind;
  }
}
