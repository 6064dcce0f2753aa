import { JsonText, type ChangeEvent } from '@distributary/core';
import { createTestDatabase, type TestDatabase } from '@distributary/testkit';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransactionGate } from '../src/write/transaction-gate';

let db: TestDatabase;
let client: Client;

beforeAll(async () => {
  db = await createTestDatabase('gate');
  client = new Client({ connectionString: db.url });
  await client.connect();
  await client.query('CREATE SCHEMA gate_state');
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('transaction gate', () => {
  it('releases staged events with json values exactly as they were logged', async () => {
    const gate = new TransactionGate('gate_state', 'exact', async () => 2);
    for (const statement of gate.createTables()) await client.query(statement);
    const doc = new JsonText('{"big": 12345678901234567890, "tiny": 1.000000000000000000001, "s": "just a string"}');
    const events: ChangeEvent[] = [
      {
        pos: { lsn: 100n, seq: 0 },
        op: 'c',
        table: 'public.t',
        key: { id: 1 },
        after: { id: 1, doc, n: '-0' },
        xid: 7,
      },
      {
        pos: { lsn: 100n, seq: 1 },
        op: 'c',
        table: 'public.t',
        key: { id: 2 },
        after: { id: 2, doc: null, n: 'NaN' },
        xid: 7,
      },
    ];
    await gate.stage(client, events);
    const released = await gate.release(client);
    expect(released.map((e) => e.pos)).toEqual(events.map((e) => e.pos));
    const first = released[0].after?.doc;
    expect(first).toBeInstanceOf(JsonText);
    expect((first as JsonText).text).toBe(doc.text);
    expect(released[0].after?.n).toBe('-0');
    expect(released[1].after).toEqual({ id: 2, doc: null, n: 'NaN' });
  });
});
