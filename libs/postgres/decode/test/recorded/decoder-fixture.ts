import type { Pool } from 'pg';
import { TypeResolver } from '@distributary/pg-catalog';
import { recorded } from '../../../protocol/test/recorded/fixture';
import { ChangeDecoder } from '../../src/change-decoder';

/**
 * A ChangeDecoder whose TypeResolver reads the pg_type rows recorded with the bytes (the catalog
 * of the recording database, replayed: the OIDs of its enum and domain exist nowhere else).
 */
export function recordedDecoder(): ChangeDecoder {
  const catalog = {
    query: (_sql: string, [oid]: [number]) =>
      Promise.resolve({ rows: recorded.types[String(oid)] ? [recorded.types[String(oid)]] : [] }),
  };
  const primaryKeyOf = (table: string) => Promise.resolve(recorded.primaryKeys[table] ?? []);
  return new ChangeDecoder(new TypeResolver(catalog as unknown as Pool), primaryKeyOf);
}
