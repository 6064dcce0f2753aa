import { afterAll, describe, expect, it } from 'vitest';
import { JsonText, idToPosition, type ChangeEvent } from '@distributary/core';
import { deleteNamespace, redisUrl, uniqueName } from '@distributary/testkit';
import { ChangeLog, LogKeys, connectRedis } from '@distributary/changelog';
import {
  bufferEntryKeyOp,
  bufferToLogEntry,
  entrySize,
  fieldsOf,
  toLogEntry,
  type RawBufferEntry,
  type RawStreamEntry,
} from './stream-entries';

const redis = connectRedis({ url: redisUrl() });
const namespace = uniqueName('entries');
const log = new ChangeLog(redis, namespace, 1);
const stream = new LogKeys(namespace).partition(0);

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

const tx = { xid: 7, commitTs: '2026-11-30T18:00:00.000001Z' };
const L = 1n << 40n;
/** An event at position (lsn, seq); the snapshot read carries no transaction. */
const at = (lsn: bigint, seq: number, rest: Omit<ChangeEvent, 'pos'>): ChangeEvent => ({ pos: { lsn, seq }, ...rest });
const json = (text: string): JsonText => new JsonText(text);
const events: ChangeEvent[] = [
  at(L, 0, { ...tx, op: 'c', table: 'public.t', key: { id: 1 }, after: { id: 1, v: 'a"\n\u2028é😀' } }),
  at(L, 1, {
    ...tx,
    op: 'u',
    table: 'public."Odd Name"',
    key: { id: 2 },
    before: { id: 2, j: json('{"a":1e-400}') },
    after: { id: 2, j: json('[-0, 12345678901234567890]'), arr: [json('1.0'), null], n: '-0', f: 'NaN' },
  }),
  at(L + 5n, 0, { ...tx, op: 'd', table: 'public.t', key: { id: 1 } }),
  at(L + 5n, 1, { ...tx, op: 't', table: 'public.t', key: {} }),
  at(L + 9n, 2, { op: 'r', table: 'public.t', key: { id: 3 }, after: { id: 3 }, snapshot: 's1' }),
];

describe('reading entries from Buffer replies', () => {
  it('gives the same entries (IDs, events with json columns and unicode, sizes) as the string decoding', async () => {
    await log.appender().append(events);
    // the readers (xreadBuffer / xrangeBuffer) against the string reply decoded by toLogEntry
    const strings = ((await redis.xrange(stream, '-', '+')) as RawStreamEntry[]).map(toLogEntry);
    const ranged = await log.read.range(0);
    const read = await log.read.partition(0);
    expect(strings.map((e) => e.id)).toEqual(events.map((e) => `${e.pos.lsn}-${e.pos.seq}`));
    expect(ranged).toEqual(strings);
    expect(read).toEqual(strings);
    expect(read.map((e) => e.event)).toEqual(events);
    // JsonText kept as JsonText, the exact text of json columns
    const after = read[1].event.after!;
    expect(after.j).toBeInstanceOf(JsonText);
    expect((after.j as JsonText).text).toBe('[-0, 12345678901234567890]');
    expect((after.arr as unknown[])[0]).toBeInstanceOf(JsonText);
    // the size counts UTF-8 bytes of the ID, every field name and value
    const [id, raw] = ((await redis.xrange(stream, '-', '+')) as RawStreamEntry[])[0];
    expect(read[0].size).toBe(Buffer.byteLength(id) + raw.reduce((n, part) => n + Buffer.byteLength(part), 0));
  });

  it('gives every entry the position idToPosition gives its ID (the LSN reused within a transaction)', () => {
    const entry = (id: string): RawBufferEntry => [
      Buffer.from(id),
      [Buffer.from('e'), Buffer.from('{"op":"c","table":"public.t","key":{"id":1}}')],
    ];
    const ids = [
      `${L}-0`,
      `${L}-1`,
      `${L}-12`,
      `${L + 1n}-0`,
      `${L + 1n}-3`,
      `${L}-4`,
      `${L}-4`,
      '12-9007199254740991',
    ];
    for (const id of ids) expect(bufferToLogEntry(entry(id)).event.pos).toEqual(idToPosition(id));
    // after an entry of LSN L, an ID with L's text but no plain sequence is refused as before
    for (const bad of [`${L}-`, `${L}-1a`, `${L}-+1`, `${L}1-x`]) {
      bufferToLogEntry(entry(`${L}-0`));
      expect(() => bufferToLogEntry(entry(bad))).toThrow('not a change-log entry ID');
    }
  });

  it("gives compaction's scan the same key, op and size as the string decoding, without the bodies", async () => {
    const strings = (await redis.xrange(stream, '-', '+')) as RawStreamEntry[];
    const buffers = (await redis.xrangeBuffer(stream, '-', '+')) as RawBufferEntry[];
    expect(buffers.length).toBeGreaterThanOrEqual(events.length);
    expect(buffers.map(bufferEntryKeyOp)).toEqual(
      strings.map((raw) => {
        const fields = fieldsOf(raw[1]);
        return { id: raw[0], key: fields.k, op: fields.o, size: entrySize(raw) };
      }),
    );
  });
});
