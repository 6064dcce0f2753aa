/**
 * slotStreaming against a real PostgreSQL: while CREATE_REPLICATION_SLOT waits for a running transaction,
 * the slot is already `active` (what tests used to wait for, then wrote changes the slot never streams),
 * but not streaming; it is streaming only once START_REPLICATION runs.
 */
import { Client, type ClientConfig } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database';
import { uniqueName } from './names';
import { slotStreaming } from './slot-streaming';
import { waitFor } from './wait';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('slotstream');
});
afterAll(async () => {
  await db.drop();
});

const replication = (url: string): Client =>
  new Client({ connectionString: url, replication: 'database' } as ClientConfig);

describe('slotStreaming', () => {
  it('is false while the slot is being created (though already active), true once it streams', async () => {
    const slot = uniqueName('slot');
    const blocker = new Client({ connectionString: db.url });
    const creator = replication(db.url);
    await Promise.all([blocker.connect(), creator.connect()]);
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT txid_current()'); // a running transaction: the creation waits for it
      const creating = creator.query(`CREATE_REPLICATION_SLOT ${slot} LOGICAL pgoutput`);
      await waitFor('the slot to appear, active', async () => {
        const rows = await db.sql(`SELECT active FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
        return rows[0]?.active === true;
      });
      expect(await slotStreaming(db, slot)).toBe(false);
      await blocker.query('COMMIT');
      await creating;
      expect(await slotStreaming(db, slot)).toBe(false); // created, nobody reads it

      await db.sql(`CREATE PUBLICATION ${slot} FOR ALL TABLES`);
      const streamer = replication(db.url);
      await streamer.connect();
      try {
        void streamer
          .query(`START_REPLICATION SLOT ${slot} LOGICAL 0/0 (proto_version '1', publication_names '${slot}')`)
          .catch(() => undefined);
        await waitFor('streaming', async () => slotStreaming(db, slot));
      } finally {
        await streamer.end().catch(() => undefined);
      }
    } finally {
      await blocker.end().catch(() => undefined);
      await creator.end().catch(() => undefined);
      await waitFor('the slot released', async () => !(await slotStreaming(db, slot)));
      await db.sql(`SELECT pg_drop_replication_slot($1)`, [slot]).catch(() => undefined);
    }
  });
});
