import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Pool } from 'pg';
import { ChangeDecoder } from '@distributary/pg-decode';
import { parsePgoutput } from '../../src/pgoutput-parser';
import type { PgoutputMessage } from '../../src/pgoutput-messages';
import { TypeResolver } from '@distributary/pg-catalog';
import type { RecordedFixture, RecordedMessage } from './scenarios';

/** pgoutput-recorded.json, as record-pgoutput.ts wrote it. */
export const recorded: RecordedFixture = JSON.parse(
  readFileSync(resolve(__dirname, 'pgoutput-recorded.json'), 'utf8'),
) as RecordedFixture;

export function recordedMessages(scenario: string): RecordedMessage[] {
  const found = recorded.scenarios[scenario];
  if (!found) throw new Error(`no recorded scenario '${scenario}'`);
  return found.messages;
}

export function bytesOf(message: RecordedMessage): Buffer {
  return Buffer.from(message.hex, 'hex');
}

export function parsedScenario(scenario: string): PgoutputMessage[] {
  return recordedMessages(scenario).map((m) => parsePgoutput(bytesOf(m)));
}

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
