import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { encodeWatermark } from '@distributary/pg-protocol';
import { WatermarkWindow } from './watermark-window';
import { parseSnapshotVisibility } from './snapshot-visibility';

const change = (id: number, op: ChangeEvent['op'] = 'u', table = 'public.t'): ChangeEvent => ({
  pos: { lsn: 50n, seq: 0 },
  op,
  table,
  key: op === 't' ? {} : { id },
  after: op === 'd' || op === 't' ? undefined : { id, v: 'streamed' },
});

describe('watermark window', () => {
  it('drops chunk rows whose keys changed between the watermarks and appends the rest just below the high watermark', async () => {
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
    // the high mark's LSN is the message's END: a commit right after it has commit LSN 200 and events
    // 200-0, 200-1, …; the chunk rows sit just below it so that no ID is shared
    expect(events.map((e) => [e.key.id, e.pos.lsn, e.pos.seq, e.op])).toEqual([
      [1, 199n, 0, 'r'],
      [4, 199n, 1, 'r'],
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
    expect(events.map((e) => [e.key.id, e.pos.lsn])).toEqual([[1, 129n]]);
    expect(await closed).toMatchObject({ lsn: 130n, dropped: 0 });
  });

  describe('a chunk read whose snapshot missed a commit already logged before the low watermark', () => {
    // xid 205 committed at LSN 90 (logged before the low mark at 100) but was still in the proc array
    // when the chunk's snapshot was taken: the snapshot lists it in progress, and read the old row 2.
    const committed = (id: number, xid: number, lsn: bigint, op: ChangeEvent['op'] = 'u'): ChangeEvent => ({
      ...change(id, op),
      pos: { lsn, seq: 0 },
      xid,
    });
    const snapshot = parseSnapshotVisibility('200:210:205');
    const read = (window: WatermarkWindow, chunk: number) => {
      const closed = window.expect('s5', chunk, 'public.t', `a${chunk}`);
      window.onMessage(encodeWatermark({ snapshot: 's5', chunk, mark: 'low', attempt: `a${chunk}` }), 100n);
      window.setRows(
        's5',
        chunk,
        [1, 2, 3].map((id) => ({ key: { id }, row: { id, v: 'chunk' } })),
        snapshot,
      );
      const events = window.onMessage(
        encodeWatermark({ snapshot: 's5', chunk, mark: 'high', attempt: `a${chunk}` }),
        120n,
      );
      return { events, closed };
    };

    it("drops that transaction's keys from the chunk (the log already holds its newer value)", async () => {
      const window = new WatermarkWindow();
      window.watch('public.t');
      window.observe(committed(1, 150, 80n)); // visible to the snapshot (below xmin)
      window.observe(committed(2, 205, 90n)); // logged before the low mark, unseen by the read
      window.observe(committed(3, 201, 95n)); // visible (below xmax, not in progress)
      const { events, closed } = read(window, 0);
      expect(events.map((e) => e.key.id)).toEqual([1, 3]);
      expect(await closed).toMatchObject({ lsn: 120n, dropped: 1 });
    });

    it('drops the whole chunk when that transaction truncated the table', async () => {
      const window = new WatermarkWindow();
      window.watch('public.t');
      window.observe(committed(0, 205, 90n, 't'));
      const { events } = read(window, 0);
      expect(events).toEqual([]);
    });

    it('reads the chunk again when that transaction was decoded before the table was watched', async () => {
      const window = new WatermarkWindow();
      window.observe(committed(2, 205, 90n)); // before watch(): its keys were not kept
      window.watch('public.t');
      const { events, closed } = read(window, 0);
      expect(events).toEqual([]);
      expect(await closed).toMatchObject({ retry: true });
    });

    it('keeps every row when the snapshot saw all transactions logged before the low mark', async () => {
      const window = new WatermarkWindow();
      window.observe(committed(2, 199, 90n)); // before watch(), but visible: no doubt
      window.watch('public.t');
      window.observe(committed(3, 207, 110n)); // after the low mark: the window's own rule (not observed in it here)
      const { events } = read(window, 0);
      expect(events.map((e) => e.key.id)).toEqual([1, 2, 3]);
    });
  });
});
