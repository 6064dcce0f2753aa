import { describe, expect, it } from 'vitest';
import { JsonText, canonicalKey, type ChangeEvent, type Row } from '@distributary/core';
import type { ChangeDecoder, DecodedChange } from '../../src/change-decoder';
import type { BeginMessage, PgoutputMessage } from '@distributary/pg-protocol';
import { parsedScenario, recorded } from '../../../protocol/test/recorded/fixture';
import { recordedDecoder } from './decoder-fixture';

/** What the connector's session does with each message, without the log: the decoded changes in order. */
async function decode(decoder: ChangeDecoder, messages: PgoutputMessage[]): Promise<DecodedChange[]> {
  const changes: DecodedChange[] = [];
  for (const message of messages) {
    if (message.tag === 'relation') await decoder.relation(message);
    else if (message.tag === 'begin') decoder.begin(message);
    else if (message.tag === 'commit') decoder.commit();
    else if (message.tag === 'insert') changes.push(...decoder.insert(message));
    else if (message.tag === 'update') changes.push(...decoder.update(message));
    else if (message.tag === 'delete') changes.push(...decoder.delete(message));
    else if (message.tag === 'truncate') changes.push(...decoder.truncate(message));
  }
  return changes;
}

/** The transactions of a scenario: commit LSN, xid and commit time of each, in order. */
function transactions(messages: PgoutputMessage[]): { commitLsn: bigint; xid: number; commitTs: string }[] {
  return messages
    .filter((m): m is BeginMessage => m.tag === 'begin')
    .map((b) => ({ commitLsn: b.commitLsn, xid: b.xid, commitTs: isoFromMicrosText(b.commitTimeMicros) }));
}

/** Microseconds since the Unix epoch as ISO-8601 with six fraction digits (written apart from the decoder's). */
function isoFromMicrosText(micros: bigint): string {
  const seconds = new Date(Number(micros / 1_000_000n) * 1000).toISOString().slice(0, 19);
  return `${seconds}.${(micros % 1_000_000n).toString().padStart(6, '0')}Z`;
}

/** The xid and commitTs every event of a transaction carries. */
function stamp(tx: { xid: number; commitTs: string }): { xid: number; commitTs: string } {
  return { xid: tx.xid, commitTs: tx.commitTs };
}

async function decodeScenario(name: string): Promise<{ changes: DecodedChange[]; events: ChangeEvent[] }> {
  const changes = await decode(recordedDecoder(), parsedScenario(name));
  return { changes, events: changes.map((c) => c.event) };
}

const KINDS_ROW_1: Row = {
  id: 1,
  i2: -32768,
  i8: '9223372036854775807',
  num: '12345.678',
  f4: '1.5',
  f8: '-1e-06',
  b: true,
  t: 'tab\there "quoted" é😀',
  vc: 'short',
  ch: 'ab ',
  by: Buffer.from([0x00, 0xff, 0x10]).toString('base64'),
  d: '2024-02-29',
  ts: '2024-01-02T03:04:05.123456',
  tstz: '2024-01-02T01:04:05.5Z',
  tm: '23:59:59.999999',
  iv: '1 year 2 mons 3 days 04:05:06',
  u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  j: new JsonText('{"b": 1, "a": [1.50, null]}'),
  jb: new JsonText('{"a": [1.50, null], "b": 1}'),
  ia: [1, null, 3],
  ta: ['a,b', 'NULL', null],
  mood: 'happy',
  pos: 7,
};

const KINDS_NAMES = Object.keys(KINDS_ROW_1);
const nullRow = (id: number): Row => Object.fromEntries(KINDS_NAMES.map((n) => [n, n === 'id' ? id : null]));

describe('ChangeDecoder on recorded pgoutput', () => {
  it('decodes inserts of every kind of value and of SQL NULLs, positioned at the commit LSN with a running seq', async () => {
    const messages = parsedScenario('insert-many-types-and-nulls');
    const [tx] = transactions(messages);
    const { changes, events } = await decodeScenario('insert-many-types-and-nulls');
    expect(events).toEqual([
      {
        pos: { lsn: tx.commitLsn, seq: 0 },
        op: 'c',
        table: 'rec.kinds',
        key: { id: 1 },
        after: KINDS_ROW_1,
        ...stamp(tx),
      },
      {
        pos: { lsn: tx.commitLsn, seq: 1 },
        op: 'c',
        table: 'rec.kinds',
        key: { id: 2 },
        after: nullRow(2),
        ...stamp(tx),
      },
    ]);
    expect(changes.map((c) => c.unchanged)).toEqual([[], []]);
    expect(changes.map((c) => c.canonical)).toEqual([
      canonicalKey('rec.kinds', { id: 1 }),
      canonicalKey('rec.kinds', { id: 2 }),
    ]);
    expect(changes[0].relation).toMatchObject({ table: 'rec.kinds', keyColumns: ['id'], replicaIdentity: 'default' });
  });

  it('decodes the lean insert path to the very same events', async () => {
    const decoder = recordedDecoder();
    const messages = parsedScenario('insert-many-types-and-nulls');
    const lean: (ChangeEvent | undefined)[] = [];
    for (const message of messages) {
      if (message.tag === 'relation') await decoder.relation(message);
      else if (message.tag === 'begin') decoder.begin(message);
      else if (message.tag === 'insert') lean.push(decoder.insertEvent(message));
    }
    expect(lean).toEqual((await decodeScenario('insert-many-types-and-nulls')).events);
  });

  it('decodes an update that keeps its key into one u event without a before row (default identity)', async () => {
    const [tx] = transactions(parsedScenario('update-same-key'));
    const { events } = await decodeScenario('update-same-key');
    expect(events).toEqual([
      {
        pos: { lsn: tx.commitLsn, seq: 0 },
        op: 'u',
        table: 'rec.kinds',
        key: { id: 1 },
        after: { ...KINDS_ROW_1, i2: null, t: 'changed' },
        ...stamp(tx),
      },
    ]);
  });

  it('decodes a key change into a delete of the old key and a create of the new one, looked up by the old key', async () => {
    const [tx] = transactions(parsedScenario('update-key-change'));
    const { changes, events } = await decodeScenario('update-key-change');
    expect(events).toEqual([
      { pos: { lsn: tx.commitLsn, seq: 0 }, op: 'd', table: 'rec.kinds', key: { id: 2 }, ...stamp(tx) },
      {
        pos: { lsn: tx.commitLsn, seq: 1 },
        op: 'c',
        table: 'rec.kinds',
        key: { id: 3 },
        after: nullRow(3),
        ...stamp(tx),
      },
    ]);
    expect(changes[1].lookupKey).toEqual({ id: 2 });
  });

  it('decodes a delete under the default identity to its key alone', async () => {
    const [tx] = transactions(parsedScenario('delete-default-identity'));
    const { events } = await decodeScenario('delete-default-identity');
    expect(events).toEqual([
      { pos: { lsn: tx.commitLsn, seq: 0 }, op: 'd', table: 'rec.kinds', key: { id: 3 }, ...stamp(tx) },
    ]);
  });

  it('leaves an unchanged TOAST column out of the after row and lists it as unchanged', async () => {
    const [insertTx, updateTx] = transactions(parsedScenario('unchanged-toast'));
    const { changes, events } = await decodeScenario('unchanged-toast');
    expect(events).toEqual([
      {
        pos: { lsn: insertTx.commitLsn, seq: 0 },
        op: 'c',
        table: 'rec.docs',
        key: { id: 1 },
        after: { id: 1, title: 'first', body: '0123456789abcdef'.repeat(1000) },
        ...stamp(insertTx),
      },
      {
        pos: { lsn: updateTx.commitLsn, seq: 0 },
        op: 'u',
        table: 'rec.docs',
        key: { id: 1 },
        after: { id: 1, title: 'second' },
        ...stamp(updateTx),
      },
    ]);
    expect(changes.map((c) => c.unchanged)).toEqual([[], ['body']]);
  });

  it('decodes REPLICA IDENTITY FULL with the primary key as key, the old row as before, a key change as d + c', async () => {
    const [insertTx, updateTx, keyTx, deleteTx] = transactions(parsedScenario('full-identity'));
    const { changes, events } = await decodeScenario('full-identity');
    const table = 'rec.full_rows';
    expect(events).toEqual([
      {
        pos: { lsn: insertTx.commitLsn, seq: 0 },
        op: 'c',
        table,
        key: { id: 1 },
        after: { id: 1, a: null, b: 1 },
        ...stamp(insertTx),
      },
      {
        pos: { lsn: updateTx.commitLsn, seq: 0 },
        op: 'u',
        table,
        key: { id: 1 },
        before: { id: 1, a: null, b: 1 },
        after: { id: 1, a: null, b: 2 },
        ...stamp(updateTx),
      },
      {
        pos: { lsn: keyTx.commitLsn, seq: 0 },
        op: 'd',
        table,
        key: { id: 1 },
        before: { id: 1, a: null, b: 2 },
        ...stamp(keyTx),
      },
      {
        pos: { lsn: keyTx.commitLsn, seq: 1 },
        op: 'c',
        table,
        key: { id: 5 },
        after: { id: 5, a: null, b: 2 },
        ...stamp(keyTx),
      },
      {
        pos: { lsn: deleteTx.commitLsn, seq: 0 },
        op: 'd',
        table,
        key: { id: 5 },
        before: { id: 5, a: null, b: 2 },
        ...stamp(deleteTx),
      },
    ]);
    expect(changes[0].relation.keyColumns).toEqual(['id']);
    expect(changes[1].oldRow).toEqual({ id: 1, a: null, b: 1 });
    expect(changes[3].lookupKey).toEqual({ id: 1 });
    expect(changes[3].oldRow).toEqual({ id: 1, a: null, b: 2 });
  });

  it('decodes a Truncate into one t event per relation, with an empty key', async () => {
    const txs = transactions(parsedScenario('truncate'));
    const { events } = await decodeScenario('truncate');
    const truncates = events.filter((e) => e.op === 't');
    const [cascade, restart, plain] = txs.slice(3);
    expect(truncates).toEqual([
      { pos: { lsn: cascade.commitLsn, seq: 0 }, op: 't', table: 'rec.parent', key: {}, ...stamp(cascade) },
      { pos: { lsn: cascade.commitLsn, seq: 1 }, op: 't', table: 'rec.child', key: {}, ...stamp(cascade) },
      { pos: { lsn: restart.commitLsn, seq: 0 }, op: 't', table: 'rec.counted', key: {}, ...stamp(restart) },
      { pos: { lsn: plain.commitLsn, seq: 0 }, op: 't', table: 'rec.full_rows', key: {}, ...stamp(plain) },
    ]);
  });

  it('numbers the rows of a transaction that also holds logical messages from 0 (messages take no seq)', async () => {
    const [tx] = transactions(parsedScenario('logical-messages'));
    const { events } = await decodeScenario('logical-messages');
    expect(events).toEqual([
      {
        pos: { lsn: tx.commitLsn, seq: 0 },
        op: 'c',
        table: 'rec.counted',
        key: { id: 1 },
        after: { id: 1, note: 'with a message' },
        ...stamp(tx),
      },
    ]);
  });

  it("takes the commit time an origin set (pg_replication_origin_xact_setup) as the event's commitTs", async () => {
    const [tx] = transactions(parsedScenario('origin'));
    const { events } = await decodeScenario('origin');
    expect(tx.commitTs).toBe('2024-01-02T03:04:05.000000Z');
    expect(events).toEqual([
      {
        pos: { lsn: tx.commitLsn, seq: 0 },
        op: 'c',
        table: 'rec.counted',
        key: { id: 2 },
        after: { id: 2, note: 'replicated' },
        ...stamp(tx),
      },
    ]);
  });

  it('follows a later Relation message for the same table: the new column appears in rows', async () => {
    const decoder = recordedDecoder();
    await decode(decoder, parsedScenario('unchanged-toast'));
    const [tx] = transactions(parsedScenario('schema-change'));
    const events = (await decode(decoder, parsedScenario('schema-change'))).map((c) => c.event);
    expect(events).toEqual([
      {
        pos: { lsn: tx.commitLsn, seq: 0 },
        op: 'c',
        table: 'rec.docs',
        key: { id: 2 },
        after: { id: 2, title: 'x', body: null, extra: '42' },
        ...stamp(tx),
      },
    ]);
  });

  it('refuses a row before its Relation message and a row outside a transaction, by name', async () => {
    const messages = parsedScenario('unchanged-toast');
    const insert = messages.find((m) => m.tag === 'insert');
    if (insert?.tag !== 'insert') throw new Error('no insert recorded');
    expect(() => recordedDecoder().insert(insert)).toThrow(
      `pgoutput: row for relation ${insert.relationOid} before its Relation message`,
    );
    const decoder = recordedDecoder();
    await decode(decoder, messages);
    expect(() => decoder.insert(insert)).toThrow('pgoutput c on rec.docs outside a transaction');
    expect(() => decoder.insertEvent(insert)).toThrow('pgoutput c on rec.docs outside a transaction');
  });

  it('refuses a tuple whose column count differs from its Relation message, on every row path', async () => {
    const messages = parsedScenario('full-identity');
    const decoder = recordedDecoder();
    const relation = messages.find((m) => m.tag === 'relation');
    const begin = messages.find((m) => m.tag === 'begin');
    const insert = messages.find((m) => m.tag === 'insert');
    const update = messages.find((m) => m.tag === 'update');
    const deletion = messages.find((m) => m.tag === 'delete');
    if (relation?.tag !== 'relation' || begin?.tag !== 'begin' || insert?.tag !== 'insert')
      throw new Error('full-identity lacks a relation, begin or insert');
    if (update?.tag !== 'update' || deletion?.tag !== 'delete')
      throw new Error('full-identity lacks an update or delete');
    await decoder.relation(relation);
    decoder.begin(begin);
    const columns = relation.columns.length;
    const wrong = `pgoutput: rec.${relation.name}: a tuple of ${columns - 1} column(s), its Relation message has ${columns}`;
    const shorter = insert.newTuple.slice(0, -1);
    expect(() => decoder.insert({ ...insert, newTuple: shorter })).toThrow(wrong);
    expect(() => decoder.insertEvent({ ...insert, newTuple: shorter })).toThrow(wrong);
    expect(() => decoder.update({ ...update, newTuple: update.newTuple.slice(0, -1) })).toThrow(wrong);
    const oldRow = deletion.oldTuple ?? deletion.keyTuple ?? [];
    expect(() => decoder.delete({ ...deletion, oldTuple: oldRow.slice(0, -1), keyTuple: undefined })).toThrow(wrong);
    expect(() => decoder.insert({ ...insert, newTuple: [...insert.newTuple, 'x'] })).toThrow(
      `pgoutput: rec.${relation.name}: a tuple of ${columns + 1} column(s), its Relation message has ${columns}`,
    );
  });

  it('records every column type of the recorded tables, so no decoding reaches for a database', () => {
    expect(Object.values(recorded.types).map((t) => t.typname)).toContain('positive_int');
  });
});
