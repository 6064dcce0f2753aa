import { describe, expect, it } from 'vitest';
import {
  canonicalKey,
  encodeEventWithKey,
  JsonText,
  partitionOfCanonicalKey,
  type ChangeEvent,
} from '@distributary/core';
import { AppendBatch } from './append-batch';
import { LogKeys } from './keys';
import { unpackCall } from '../test/unpack-call';

/** What the batch must pack per entry: encodeEventWithKey's ID and fields, in their order. */
function reference(events: ChangeEvent[], stream: string, keys: LogKeys, partitions: number): (string | number)[] {
  const args: (string | number)[] = [];
  for (const event of events) {
    const canonical = canonicalKey(event.table, event.key);
    const { id, fields } = encodeEventWithKey(event, canonical);
    const streams =
      event.op === 't'
        ? Array.from({ length: partitions }, (_, p) => keys.partition(p))
        : [keys.partition(partitionOfCanonicalKey(canonical, partitions))];
    if (!streams.includes(stream)) continue;
    args.push(id, Object.keys(fields).length);
    for (const [field, value] of Object.entries(fields)) args.push(field, value);
  }
  return args;
}

describe('AppendBatch', () => {
  it('packs exactly the entries encodeEventWithKey gives (json columns, -0 text, big numerics, arrays, truncate)', () => {
    const keys = new LogKeys('packtest');
    const partitions = 3;
    const tx = { xid: 7, commitTs: '2026-11-30T18:00:00.000001Z' };
    const events: ChangeEvent[] = [
      {
        pos: { lsn: 1n << 40n, seq: 0 },
        op: 'c',
        table: 'public.t',
        key: { id: 1 },
        after: { id: 1, v: 'a"\n\u2028é😀' },
        ...tx,
      },
      {
        pos: { lsn: 1n << 40n, seq: 1 },
        op: 'u',
        table: 'public."Odd Name"',
        key: { id: 2 },
        before: { id: 2, j: new JsonText('{"a":1e-400}') },
        after: {
          id: 2,
          j: new JsonText('[-0, 12345678901234567890]'),
          arr: [new JsonText('1.0'), null],
          n: '-0',
          f: 'NaN',
        },
        ...tx,
      },
      { pos: { lsn: (1n << 40n) + 5n, seq: 0 }, op: 'd', table: 'public.t', key: { id: 1 }, ...tx },
      { pos: { lsn: (1n << 40n) + 5n, seq: 1 }, op: 't', table: 'public.t', key: {}, ...tx },
      { pos: { lsn: 99n, seq: 2 }, op: 'r', table: 'public.t', key: { id: 3 }, after: { id: 3 }, snapshot: 's1' },
    ];
    const batch = new AppendBatch(keys, partitions);
    for (const event of events) batch.addEvent(event);
    for (const [stream, calls] of batch.streams) {
      expect(calls).toHaveLength(1);
      expect(unpackCall(Buffer.from(calls[0].args.finish())), stream).toEqual(
        reference(events, stream, keys, partitions),
      );
    }
    expect(batch.events).toBe(events.length);
  });
});
