import { describe, expect, it } from 'vitest';
import { parseLsn } from '@distributary/core';
import { UNCHANGED_TOAST, type PgoutputMessage, type RelationMessage } from '../../src/pgoutput-messages';
import { parsePgoutput } from '../../src/pgoutput-parser';
import { bytesOf, parsedScenario, recorded, recordedMessages } from './fixture';

/** The relation OID the recording database gave `name` (OIDs differ per recording). */
function oidOf(messages: PgoutputMessage[], name: string): number {
  const relation = messages.find((m): m is RelationMessage => m.tag === 'relation' && m.name === name);
  if (!relation) throw new Error(`no Relation message for ${name}`);
  return relation.relationOid;
}

function typeOid(name: string): number {
  const entry = Object.entries(recorded.types).find(([, t]) => t.typname === name);
  if (!entry) throw new Error(`no recorded type ${name}`);
  return Number(entry[0]);
}

const key = (name: string, typeOid: number, typeMod = -1) => ({ isKey: true, name, typeOid, typeMod });
const col = (name: string, typeOid: number, typeMod = -1) => ({ isKey: false, name, typeOid, typeMod });

const KINDS_COLUMNS = () => [
  key('id', 23),
  col('i2', 21),
  col('i8', 20),
  col('num', 1700, (12 << 16) + 3 + 4),
  col('f4', 700),
  col('f8', 701),
  col('b', 16),
  col('t', 25),
  col('vc', 1043, 10 + 4),
  col('ch', 1042, 3 + 4),
  col('by', 17),
  col('d', 1082),
  col('ts', 1114),
  col('tstz', 1184),
  col('tm', 1083),
  col('iv', 1186),
  col('u', 2950),
  col('j', 114),
  col('jb', 3802),
  col('ia', 1007),
  col('ta', 1009),
  col('mood', typeOid('mood')),
  col('pos', typeOid('positive_int')),
];

const KINDS_ROW_1 = [
  '1',
  '-32768',
  '9223372036854775807',
  '12345.678',
  '1.5',
  '-1e-06',
  't',
  'tab\there "quoted" é😀',
  'short',
  'ab ',
  '\\x00ff10',
  '2024-02-29',
  '2024-01-02 03:04:05.123456',
  '2024-01-02 01:04:05.5+00',
  '23:59:59.999999',
  '1 year 2 mons 3 days 04:05:06',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"b": 1, "a": [1.50, null]}',
  '{"a": [1.50, null], "b": 1}',
  '{1,NULL,3}',
  '{"a,b","NULL",NULL}',
  'happy',
  '7',
];

const nulls = (count: number) => new Array<null>(count).fill(null);

/** The Type and Relation messages pgoutput sends before the first row of rec.kinds in a transaction. */
function kindsPreamble(oid: number): PgoutputMessage[] {
  return [
    { tag: 'type', typeOid: typeOid('mood'), schema: 'rec', name: 'mood' },
    // A domain is announced under its own OID with its base type's name; pg_catalog is sent as ''.
    { tag: 'type', typeOid: typeOid('positive_int'), schema: '', name: 'int4' },
    {
      tag: 'relation',
      relationOid: oid,
      schema: 'rec',
      name: 'kinds',
      replicaIdentity: 'default',
      columns: KINDS_COLUMNS(),
    },
  ];
}

/** Begin and Commit around `body`, with the values the recording gave them (checked apart below). */
function transaction(messages: PgoutputMessage[], body: PgoutputMessage[]): PgoutputMessage[] {
  const begin = messages[0];
  const commit = messages[messages.length - 1];
  if (begin.tag !== 'begin' || commit.tag !== 'commit') throw new Error('not one transaction');
  return [begin, ...body, commit];
}

describe('parsePgoutput on recorded bytes', () => {
  it('reads Begin and Commit consistently with the slot: same commit LSN and time, the xid the slot reported', () => {
    let transactions = 0;
    for (const [name, scenario] of Object.entries(recorded.scenarios)) {
      let begin: PgoutputMessage | undefined;
      for (const raw of scenario.messages) {
        const message = parsePgoutput(bytesOf(raw));
        if (message.tag === 'begin') {
          expect(message.xid, name).toBe(raw.xid);
          begin = message;
        } else if (message.tag === 'commit') {
          if (begin?.tag !== 'begin') throw new Error(`${name}: commit without begin`);
          expect(message.commitLsn, name).toBe(begin.commitLsn);
          expect(message.commitTimeMicros, name).toBe(begin.commitTimeMicros);
          expect(message.endLsn > message.commitLsn, name).toBe(true);
          transactions++;
          begin = undefined;
        }
      }
      expect(begin, name).toBeUndefined();
    }
    expect(transactions).toBe(19);
  });

  it('converts the commit time from the PostgreSQL epoch to microseconds since the Unix epoch', () => {
    // The origin scenario's transaction was stamped by pg_replication_origin_xact_setup.
    const [begin] = parsedScenario('origin');
    expect(begin).toMatchObject({ tag: 'begin', commitTimeMicros: BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1000n });
  });

  it('reads Type, Relation (many types, typmods) and Inserts with every kind of value and SQL NULLs', () => {
    const messages = parsedScenario('insert-many-types-and-nulls');
    const oid = oidOf(messages, 'kinds');
    expect(messages).toEqual(
      transaction(messages, [
        ...kindsPreamble(oid),
        { tag: 'insert', relationOid: oid, newTuple: KINDS_ROW_1 },
        { tag: 'insert', relationOid: oid, newTuple: ['2', ...nulls(22)] },
      ]),
    );
  });

  it('reads an Update without old values (key unchanged, default identity)', () => {
    const messages = parsedScenario('update-same-key');
    const oid = oidOf(messages, 'kinds');
    const after: (string | null)[] = [...KINDS_ROW_1];
    after[1] = null;
    after[7] = 'changed';
    expect(messages).toEqual(
      transaction(messages, [...kindsPreamble(oid), { tag: 'update', relationOid: oid, newTuple: after }]),
    );
    expect(messages[4]).not.toHaveProperty('keyTuple', expect.anything());
  });

  it("reads an Update with the old key ('K') when the key changed", () => {
    const messages = parsedScenario('update-key-change');
    const oid = oidOf(messages, 'kinds');
    expect(messages).toEqual(
      transaction(messages, [
        ...kindsPreamble(oid),
        { tag: 'update', relationOid: oid, keyTuple: ['2', ...nulls(22)], newTuple: ['3', ...nulls(22)] },
      ]),
    );
  });

  it("reads a Delete with the old key ('K') under the default identity", () => {
    const messages = parsedScenario('delete-default-identity');
    const oid = oidOf(messages, 'kinds');
    expect(messages).toEqual(
      transaction(messages, [
        ...kindsPreamble(oid),
        { tag: 'delete', relationOid: oid, keyTuple: ['3', ...nulls(22)] },
      ]),
    );
  });

  it("reads an out-of-line value in full, and as the unchanged-TOAST marker ('u') when an update left it alone", () => {
    const messages = parsedScenario('unchanged-toast');
    const oid = oidOf(messages, 'docs');
    expect(messages.map((m) => m.tag)).toEqual(['begin', 'relation', 'insert', 'commit', 'begin', 'update', 'commit']);
    expect(messages[1]).toEqual({
      tag: 'relation',
      relationOid: oid,
      schema: 'rec',
      name: 'docs',
      replicaIdentity: 'default',
      columns: [key('id', 23), col('title', 25), col('body', 25)],
    });
    expect(messages[2]).toEqual({
      tag: 'insert',
      relationOid: oid,
      newTuple: ['1', 'first', '0123456789abcdef'.repeat(1000)],
    });
    expect(messages[5]).toEqual({ tag: 'update', relationOid: oid, newTuple: ['1', 'second', UNCHANGED_TOAST] });
  });

  it("reads REPLICA IDENTITY FULL: every column flagged as key, Update and Delete with the old row ('O')", () => {
    const messages = parsedScenario('full-identity');
    const oid = oidOf(messages, 'full_rows');
    expect(messages[1]).toEqual({
      tag: 'relation',
      relationOid: oid,
      schema: 'rec',
      name: 'full_rows',
      replicaIdentity: 'full',
      columns: [key('id', 23), key('a', 25), key('b', 23)],
    });
    const rows = messages.filter((m) => m.tag === 'insert' || m.tag === 'update' || m.tag === 'delete');
    expect(rows).toEqual([
      { tag: 'insert', relationOid: oid, newTuple: ['1', null, '1'] },
      { tag: 'update', relationOid: oid, oldTuple: ['1', null, '1'], newTuple: ['1', null, '2'] },
      { tag: 'update', relationOid: oid, oldTuple: ['1', null, '2'], newTuple: ['5', null, '2'] },
      { tag: 'delete', relationOid: oid, oldTuple: ['5', null, '2'] },
    ]);
  });

  it('reads Truncate with its relations and the CASCADE and RESTART IDENTITY flags', () => {
    const messages = parsedScenario('truncate');
    const parent = oidOf(messages, 'parent');
    const child = oidOf(messages, 'child');
    const counted = oidOf(messages, 'counted');
    const fullRows = oidOf(messages, 'full_rows');
    expect(messages.filter((m) => m.tag === 'truncate')).toEqual([
      { tag: 'truncate', relationOids: [parent, child], cascade: true, restartIdentity: false },
      { tag: 'truncate', relationOids: [counted], cascade: false, restartIdentity: true },
      { tag: 'truncate', relationOids: [fullRows], cascade: false, restartIdentity: false },
    ]);
  });

  it('reads logical messages: transactional inside Begin/Commit, non-transactional at once, any prefix and bytes', () => {
    const raw = recordedMessages('logical-messages');
    const messages = raw.map((m) => parsePgoutput(bytesOf(m)));
    expect(messages.map((m) => m.tag)).toEqual([
      'message',
      'message',
      'begin',
      'message',
      'relation',
      'insert',
      'commit',
    ]);
    const logical = messages.flatMap((m, i) =>
      m.tag === 'message' ? [{ ...m, content: m.content.toString('hex'), at: i }] : [],
    );
    expect(logical).toEqual([
      {
        tag: 'message',
        transactional: false,
        lsn: logical[0].lsn,
        prefix: 'distributary',
        content: Buffer.from('heartbeat 2024-01-02T03:04:05.000Z').toString('hex'),
        at: 0,
      },
      { tag: 'message', transactional: false, lsn: logical[1].lsn, prefix: 'other-prefix', content: '00ff', at: 1 },
      {
        tag: 'message',
        transactional: true,
        lsn: logical[2].lsn,
        prefix: 'distributary',
        content: Buffer.from('in a transaction').toString('hex'),
        at: 3,
      },
    ]);
    // A non-transactional message's LSN is the one the slot reports for it.
    expect(logical[0].lsn).toBe(parseLsn(raw[0].lsn));
  });

  it('reads the Origin message of a transaction replayed under a replication origin', () => {
    const messages = parsedScenario('origin');
    expect(messages[1]).toEqual({ tag: 'origin', originLsn: 0xabcdefn, name: recorded.origin });
  });

  it('reads a second Relation message for the same OID after ALTER TABLE, with the new column', () => {
    const toast = parsedScenario('unchanged-toast');
    const messages = parsedScenario('schema-change');
    const oid = oidOf(messages, 'docs');
    expect(oid).toBe(oidOf(toast, 'docs'));
    expect(messages.slice(1, 3)).toEqual([
      {
        tag: 'relation',
        relationOid: oid,
        schema: 'rec',
        name: 'docs',
        replicaIdentity: 'default',
        columns: [key('id', 23), col('title', 25), col('body', 25), col('extra', 20)],
      },
      { tag: 'insert', relationOid: oid, newTuple: ['2', 'x', null, '42'] },
    ]);
  });
});

/** Every recorded message once (the TOAST insert included: its value is one length-prefixed read). */
function everyRecordedMessage(): { where: string; bytes: Buffer }[] {
  return Object.entries(recorded.scenarios).flatMap(([name, scenario]) =>
    scenario.messages.map((m, i) => ({ where: `${name}#${i}`, bytes: bytesOf(m) })),
  );
}

/** The recorded message of `scenario` whose tag is `tag` (the first one). */
function recordedBytes(scenario: string, tag: PgoutputMessage['tag']): Buffer {
  const found = recordedMessages(scenario).find((m) => parsePgoutput(bytesOf(m)).tag === tag);
  if (!found) throw new Error(`no ${tag} in ${scenario}`);
  return bytesOf(found);
}

function withByte(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = value;
  return copy;
}

function withUint32(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt32BE(value, at);
  return copy;
}

describe('parsePgoutput at an offset (the XLogData chunk whole, the message after its 25-byte header)', () => {
  it('reads every recorded message after a header exactly as on its own, and every truncation fails the same way', () => {
    const header = Buffer.alloc(25, 0x77);
    let messages = 0;
    for (const { where, bytes } of everyRecordedMessage()) {
      const chunk = Buffer.concat([header, bytes]);
      expect(parsePgoutput(chunk, 25), where).toEqual(parsePgoutput(bytes));
      for (const length of [0, 1, bytes.length - 1])
        expect(() => parsePgoutput(chunk.subarray(0, 25 + length), 25), `${where} cut at ${length}`).toThrow(
          /^pgoutput: /,
        );
      messages++;
    }
    expect(() => parsePgoutput(header, 26)).toThrow('pgoutput: message ends early');
    expect(messages).toBeGreaterThan(20);
  });
});

describe('parsePgoutput on damaged recorded bytes', () => {
  it('ends every truncation of every recorded message in a pgoutput error (never a value, never a hang)', () => {
    let cut = 0;
    for (const { where, bytes } of everyRecordedMessage()) {
      for (let length = 0; length < bytes.length; length++) {
        let parsed: PgoutputMessage | undefined;
        try {
          parsed = parsePgoutput(bytes.subarray(0, length));
        } catch (error) {
          expect((error as Error).message, `${where} cut at ${length}`).toMatch(/^pgoutput: /);
          cut++;
          continue;
        }
        throw new Error(`${where} cut at ${length} of ${bytes.length} parsed as ${parsed.tag}`);
      }
    }
    expect(cut).toBeGreaterThan(16_000);
  });

  it('rejects an unknown message type, replica identity, tuple value kind or row sub-message by name', () => {
    const insert = recordedBytes('unchanged-toast', 'insert');
    const relation = recordedBytes('unchanged-toast', 'relation');
    const update = recordedBytes('full-identity', 'update');
    const deletion = recordedBytes('full-identity', 'delete');
    // Relation: tag, oid, 'rec\0', 'docs\0', identity.
    const identityAt = 1 + 4 + 'rec'.length + 1 + 'docs'.length + 1;
    expect(relation[identityAt]).toBe('d'.charCodeAt(0));
    // Insert: tag, oid, 'N', column count, first column's kind.
    const firstKindAt = 1 + 4 + 1 + 2;
    expect(insert[firstKindAt]).toBe('t'.charCodeAt(0));

    expect(() => parsePgoutput(withByte(insert, 0, 'Z'.charCodeAt(0)))).toThrow("pgoutput: unknown message type 'Z'");
    expect(() => parsePgoutput(withByte(relation, identityAt, 'x'.charCodeAt(0)))).toThrow(
      "pgoutput: unknown replica identity 'x'",
    );
    expect(() => parsePgoutput(withByte(insert, firstKindAt, 'b'.charCodeAt(0)))).toThrow(
      "pgoutput: unsupported tuple value kind 'b' (binary mode is not used)",
    );
    expect(() => parsePgoutput(withByte(insert, 5, 'K'.charCodeAt(0)))).toThrow("pgoutput: expected 'N', got 'K'");
    expect(() => parsePgoutput(withByte(update, 5, 'X'.charCodeAt(0)))).toThrow(
      'pgoutput: unexpected update sub-message X',
    );
    expect(() => parsePgoutput(withByte(deletion, 5, 'N'.charCodeAt(0)))).toThrow(
      'pgoutput: unexpected delete sub-message N',
    );
  });

  it('rejects lengths and counts larger than the message at once (no allocation or loop beyond the bytes)', () => {
    const insert = recordedBytes('unchanged-toast', 'insert');
    const message = recordedMessages('logical-messages').map(bytesOf)[0];
    const truncate = recordedBytes('truncate', 'truncate');
    // Insert: the first column's text length follows its kind byte.
    expect(() => parsePgoutput(withUint32(insert, 1 + 4 + 1 + 2 + 1, 0xffffffff))).toThrow(
      'pgoutput: message ends early',
    );
    // Message: tag, flags, lsn, prefix, content length.
    const contentLengthAt = 1 + 1 + 8 + 'distributary'.length + 1;
    expect(message.readUInt32BE(contentLengthAt)).toBe('heartbeat 2024-01-02T03:04:05.000Z'.length);
    expect(() => parsePgoutput(withUint32(message, contentLengthAt, 0x7fffffff))).toThrow(
      'pgoutput: message ends early',
    );
    // Truncate: tag, relation count.
    expect(() => parsePgoutput(withUint32(truncate, 1, 0xffffffff))).toThrow('pgoutput: message ends early');
    // Insert: column count 0xffff with three columns' bytes.
    const manyColumns = Buffer.from(insert);
    manyColumns.writeUInt16BE(0xffff, 1 + 4 + 1);
    expect(() => parsePgoutput(manyColumns)).toThrow('pgoutput: message ends early');
  });

  it('rejects bytes left after the end of any recorded message, saying how many', () => {
    for (const { where, bytes } of everyRecordedMessage()) {
      expect(() => parsePgoutput(Buffer.concat([bytes, Buffer.from('t')])), where).toThrow(
        'pgoutput: 1 byte(s) after the end of the message',
      );
      expect(() => parsePgoutput(Buffer.concat([bytes, Buffer.alloc(3)])), where).toThrow(
        'pgoutput: 3 byte(s) after the end of the message',
      );
    }
  });

  it('rejects a tuple whose column count is lower than the columns it carries (never a shorter row)', () => {
    const insert = recordedBytes('unchanged-toast', 'insert');
    const countAt = 1 + 4 + 1;
    const fewer = Buffer.from(insert);
    fewer.writeUInt16BE(insert.readUInt16BE(countAt) - 1, countAt);
    expect(() => parsePgoutput(fewer)).toThrow(/^pgoutput: \d+ byte\(s\) after the end of the message$/);
  });

  it('rejects a Relation or Type message whose name lost its terminating NUL', () => {
    const type = recordedBytes('insert-many-types-and-nulls', 'type');
    expect(() => parsePgoutput(type.subarray(0, type.length - 1))).toThrow('pgoutput: unterminated string');
  });
});
