/**
 * What record-pgoutput.ts records: the schema and, per scenario, the SQL whose WAL becomes the
 * recorded messages. The fixture's shape is typed here for the recorder and the tests alike.
 */
export interface RecordedMessage {
  /** The LSN pg_logical_slot_get_binary_changes returned with the message. */
  lsn: string;
  xid: number;
  /** The message's bytes (one XLogData payload). */
  hex: string;
}

export interface RecordedType {
  typname: string;
  nspname: string;
  typtype: string;
  typbasetype: number;
  typelem: number;
  typdelim: string;
  typcategory: string;
}

export interface RecordedFixture {
  note: string;
  server: string;
  /** The replication origin's name in the 'origin' scenario. */
  origin: string;
  scenarios: Record<string, { sql: string[]; messages: RecordedMessage[] }>;
  /** pg_type rows (as TypeResolver reads them) of every column type of the recorded tables, by OID. */
  types: Record<string, RecordedType>;
  /** Primary-key columns of the recorded tables. */
  primaryKeys: Record<string, string[]>;
}

/** A value long enough to be stored out of line (storage EXTERNAL: never compressed inline). */
export const TOASTED_BODY_SQL = `repeat('0123456789abcdef', 1000)`;

export const SETUP_SQL = `
CREATE SCHEMA rec;
CREATE TYPE rec.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN rec.positive_int AS int4 CHECK (VALUE > 0);
CREATE TABLE rec.kinds (
  id int4 PRIMARY KEY, i2 int2, i8 int8, num numeric(12, 3), f4 float4, f8 float8, b bool, t text,
  vc varchar(10), ch char(3), by bytea, d date, ts timestamp, tstz timestamptz, tm time, iv interval,
  u uuid, j json, jb jsonb, ia int4[], ta text[], mood rec.mood, pos rec.positive_int
);
CREATE TABLE rec.docs (id int4 PRIMARY KEY, title text, body text);
ALTER TABLE rec.docs ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE TABLE rec.full_rows (id int4 PRIMARY KEY, a text, b int4);
ALTER TABLE rec.full_rows REPLICA IDENTITY FULL;
CREATE TABLE rec.parent (id int4 PRIMARY KEY);
CREATE TABLE rec.child (id int4 PRIMARY KEY, parent_id int4 REFERENCES rec.parent (id));
CREATE TABLE rec.counted (id serial PRIMARY KEY, note text);
CREATE PUBLICATION rec_pub FOR ALL TABLES;
`;

export interface Scenario {
  name: string;
  /** Statements run one after another on one connection ($ORIGIN: the replication origin's name). */
  sql: string[];
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'insert-many-types-and-nulls',
    sql: [
      'BEGIN',
      `INSERT INTO rec.kinds VALUES (1, -32768, 9223372036854775807, 12345.678, 1.5, -0.000001, true,
        'tab\there "quoted" é😀', 'short', 'ab', '\\x00ff10', '2024-02-29', '2024-01-02 03:04:05.123456',
        '2024-01-02 03:04:05.5+02', '23:59:59.999999', '1 year 2 mons 3 days 04:05:06', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        '{"b": 1, "a": [1.50, null]}', '{"b": 1, "a": [1.50, null]}', '{1,NULL,3}', '{"a,b","NULL",NULL}', 'happy', 7)`,
      'INSERT INTO rec.kinds (id) VALUES (2)',
      'COMMIT',
    ],
  },
  { name: 'update-same-key', sql: [`UPDATE rec.kinds SET t = 'changed', i2 = NULL WHERE id = 1`] },
  { name: 'update-key-change', sql: ['UPDATE rec.kinds SET id = 3 WHERE id = 2'] },
  { name: 'delete-default-identity', sql: ['DELETE FROM rec.kinds WHERE id = 3'] },
  {
    name: 'unchanged-toast',
    sql: [
      `INSERT INTO rec.docs VALUES (1, 'first', ${TOASTED_BODY_SQL})`,
      `UPDATE rec.docs SET title = 'second' WHERE id = 1`,
    ],
  },
  {
    name: 'full-identity',
    sql: [
      `INSERT INTO rec.full_rows VALUES (1, NULL, 1)`,
      'UPDATE rec.full_rows SET b = 2 WHERE id = 1',
      'UPDATE rec.full_rows SET id = 5 WHERE id = 1',
      'DELETE FROM rec.full_rows WHERE id = 5',
    ],
  },
  {
    name: 'truncate',
    sql: [
      'INSERT INTO rec.parent VALUES (1)',
      'INSERT INTO rec.child VALUES (1, 1)',
      `INSERT INTO rec.counted (note) VALUES ('x')`,
      'TRUNCATE rec.parent CASCADE',
      'TRUNCATE rec.counted RESTART IDENTITY',
      'TRUNCATE rec.full_rows',
    ],
  },
  {
    name: 'logical-messages',
    sql: [
      `SELECT pg_logical_emit_message(false, 'distributary', 'heartbeat 2024-01-02T03:04:05.000Z')`,
      'BEGIN',
      `SELECT pg_logical_emit_message(true, 'distributary', 'in a transaction')`,
      `INSERT INTO rec.counted (note) VALUES ('with a message')`,
      `SELECT pg_logical_emit_message(false, 'other-prefix', '\\x00ff'::bytea)`,
      'COMMIT',
    ],
  },
  {
    name: 'origin',
    sql: [
      `SELECT pg_replication_origin_session_setup('$ORIGIN')`,
      'BEGIN',
      `SELECT pg_replication_origin_xact_setup('0/ABCDEF', '2024-01-02 03:04:05+00')`,
      `INSERT INTO rec.counted (note) VALUES ('replicated')`,
      'COMMIT',
      'SELECT pg_replication_origin_session_reset()',
    ],
  },
  {
    name: 'schema-change',
    sql: ['ALTER TABLE rec.docs ADD COLUMN extra int8', `INSERT INTO rec.docs (id, title, extra) VALUES (2, 'x', 42)`],
  },
];
