/**
 * Re-records pgoutput-recorded.json from the local PostgreSQL (the stack's, see libs/testkit):
 *
 *   npx tsx libs/postgres/protocol/test/recorded/record-pgoutput.ts
 *
 * Each scenario runs its SQL in a throwaway database, then reads the slot with
 * pg_logical_slot_get_binary_changes using the options the connector's WalStream uses
 * (proto_version '1', messages 'true', streaming off as protocol v1 has it): every row's `data` is
 * exactly the payload of one XLogData message. The catalog rows TypeResolver asks for and the primary
 * keys are recorded too, so the tests decode without a database. The database, slot and replication
 * origin are dropped at the end.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, uniqueName } from '@distributary/testkit';
import { SCENARIOS, SETUP_SQL, type RecordedFixture, type RecordedMessage } from './scenarios';

const SLOT_OPTIONS = `'proto_version', '1', 'publication_names', 'rec_pub', 'messages', 'true'`;

async function main(): Promise<void> {
  const db = await createTestDatabase('pgoutput_rec');
  const client = new Client({ connectionString: db.url });
  const origin = uniqueName('rec_origin');
  await client.connect();
  try {
    await client.query(SETUP_SQL);
    const slot = uniqueName('rec_slot');
    await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    await client.query(`SELECT pg_replication_origin_create($1)`, [origin]);
    const version = (await client.query<{ v: string }>(`SELECT version() AS v`)).rows[0].v;
    const fixture: RecordedFixture = {
      note:
        'pgoutput payloads recorded by libs/postgres/protocol/test/recorded/record-pgoutput.ts with ' +
        `pg_logical_slot_get_binary_changes(slot, NULL, NULL, ${SLOT_OPTIONS}); ` +
        'hex is one message each, lsn/xid are the columns the function returned with it. ' +
        'Type OIDs and relation OIDs are those of the recording database.',
      server: version,
      origin,
      scenarios: {},
      types: {},
      primaryKeys: {},
    };
    for (const scenario of SCENARIOS) {
      const sql = scenario.sql.map((s) => s.replaceAll('$ORIGIN', origin));
      for (const statement of sql) await client.query(statement);
      const { rows } = await client.query<{ lsn: string; xid: string; data: Buffer }>(
        `SELECT lsn::text, xid::text, data FROM pg_logical_slot_get_binary_changes($1, NULL, NULL, ${SLOT_OPTIONS})`,
        [slot],
      );
      const messages: RecordedMessage[] = rows.map((r) => ({
        lsn: r.lsn,
        xid: Number(r.xid),
        hex: r.data.toString('hex'),
      }));
      fixture.scenarios[scenario.name] = { sql, messages };
    }
    const types = await client.query<Record<string, string | number>>(
      `SELECT t.oid::int AS oid, t.typname, n.nspname, t.typtype, t.typbasetype::int AS typbasetype,
              t.typelem::int AS typelem, t.typdelim, t.typcategory
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.oid IN (SELECT atttypid FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                         JOIN pg_namespace cn ON cn.oid = c.relnamespace WHERE cn.nspname = 'rec' AND a.attnum > 0)
           OR t.oid IN (SELECT typelem FROM pg_type WHERE oid IN (SELECT atttypid FROM pg_attribute a
                         JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
                         WHERE cn.nspname = 'rec' AND a.attnum > 0))
           OR t.oid IN (SELECT typbasetype FROM pg_type WHERE typtype = 'd' AND typnamespace = 'rec'::regnamespace)
        ORDER BY t.oid`,
    );
    for (const row of types.rows) {
      const { oid, ...rest } = row;
      fixture.types[String(oid)] = rest as unknown as RecordedFixture['types'][string];
    }
    const keys = await client.query<{ table: string; columns: string[] }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS table,
              array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum)) AS columns
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
        WHERE i.indisprimary AND n.nspname = 'rec' GROUP BY 1 ORDER BY 1`,
    );
    for (const row of keys.rows) fixture.primaryKeys[row.table] = row.columns;
    const out = resolve(__dirname, 'pgoutput-recorded.json');
    writeFileSync(out, `${JSON.stringify(fixture, null, 2)}\n`);
    console.log(`wrote ${out}`);
  } finally {
    await client.query(`SELECT pg_replication_origin_session_reset()`).catch(() => undefined);
    await client.query(`SELECT pg_replication_origin_drop($1)`, [origin]).catch(() => undefined);
    await client.end();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
