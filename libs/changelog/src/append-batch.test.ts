import { describe, expect, it } from 'vitest';
import { canonicalKey, encodeEventWithKey, partitionOfCanonicalKey, type ChangeEvent } from '@distributary/core';
import { AppendBatch } from './append-batch';
import { LogKeys } from './keys';
import { unpackCall } from '../test/unpack-call';
import { edgeEvents } from '../test/edge-events';

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
    const events = edgeEvents();
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
