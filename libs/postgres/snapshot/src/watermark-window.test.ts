import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { encodeWatermark } from '@distributary/pg-protocol';
import { WatermarkWindow } from './watermark-window';

const change = (id: number, op: ChangeEvent['op'] = 'u', table = 'public.t'): ChangeEvent => ({
  pos: { lsn: 50n, seq: 0 },
  op,
  table,
  key: op === 't' ? {} : { id },
  after: op === 'd' || op === 't' ? undefined : { id, v: 'streamed' },
});

describe('watermark window', () => {
  it('drops chunk rows whose keys changed between the watermarks and appends the rest at the high watermark', async () => {
    const window = new WatermarkWindow();
    const closed = window.expect('s1', 0, 'public.t', 'a1');
    window.observe(change(1)); // before the low watermark: irrelevant to the chunk
    expect(window.onMessage(encodeWatermark({ snapshot: 's1', chunk: 0, mark: 'low', attempt: 'a1' }), 100n)).toEqual(
      [],
    );
    window.observe(change(2));
    window.observe(change(3, 'd'));
    window.observe(change(4, 'u', 'public.other'));
    window.setRows(
      's1',
      0,
      [1, 2, 3, 4].map((id) => ({ key: { id }, row: { id, v: 'chunk' } })),
    );
    const events = window.onMessage(encodeWatermark({ snapshot: 's1', chunk: 0, mark: 'high', attempt: 'a1' }), 200n);
    expect(events.map((e) => [e.key.id, e.pos.lsn, e.pos.seq, e.op])).toEqual([
      [1, 200n, 0, 'r'],
      [4, 200n, 1, 'r'],
    ]);
    expect(await closed).toMatchObject({ lsn: 200n, dropped: 2 });
  });

  it('drops the whole chunk when the table is truncated inside the window', () => {
    const window = new WatermarkWindow();
    void window.expect('s2', 3, 'public.t', 'a2');
    window.onMessage(encodeWatermark({ snapshot: 's2', chunk: 3, mark: 'low', attempt: 'a2' }), 10n);
    window.observe(change(0, 't'));
    window.setRows('s2', 3, [{ key: { id: 1 }, row: { id: 1 } }]);
    expect(window.onMessage(encodeWatermark({ snapshot: 's2', chunk: 3, mark: 'high', attempt: 'a2' }), 20n)).toEqual(
      [],
    );
  });

  it('ignores watermarks of other snapshots and foreign messages', () => {
    const window = new WatermarkWindow();
    void window.expect('s3', 0, 'public.t', 'a3');
    expect(window.onMessage('{"type":"heartbeat"}', 5n)).toEqual([]);
    expect(window.onMessage(encodeWatermark({ snapshot: 'other', chunk: 0, mark: 'high' }), 6n)).toEqual([]);
    expect(window.onMessage('not json', 7n)).toEqual([]);
  });

  it("ignores a killed read's marks of the same chunk replayed from the WAL: the new read closes at its own high mark", async () => {
    const window = new WatermarkWindow();
    const closed = window.expect('s4', 7, 'public.t', 'new');
    // the killed session's marks of chunk 7, met again while the WAL is replayed after the restart
    expect(window.onMessage(encodeWatermark({ snapshot: 's4', chunk: 7, mark: 'low', attempt: 'old' }), 100n)).toEqual(
      [],
    );
    window.setRows('s4', 7, [{ key: { id: 1 }, row: { id: 1, v: 'chunk' } }]);
    expect(window.onMessage(encodeWatermark({ snapshot: 's4', chunk: 7, mark: 'high', attempt: 'old' }), 110n)).toEqual(
      [],
    );
    expect(window.onMessage(encodeWatermark({ snapshot: 's4', chunk: 7, mark: 'low' }), 115n)).toEqual([]); // an older version's mark
    window.onMessage(encodeWatermark({ snapshot: 's4', chunk: 7, mark: 'low', attempt: 'new' }), 120n);
    const events = window.onMessage(encodeWatermark({ snapshot: 's4', chunk: 7, mark: 'high', attempt: 'new' }), 130n);
    expect(events.map((e) => [e.key.id, e.pos.lsn])).toEqual([[1, 130n]]);
    expect(await closed).toMatchObject({ lsn: 130n, dropped: 0 });
  });
});
