import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { TABLE, batch, cacheSuite, ev, targets } from './harness';

const truncateAt = (lsn: number, seq: number): ChangeEvent => ({
  pos: { lsn: BigInt(lsn), seq },
  op: 't',
  table: TABLE,
  key: {},
});

/**
 * TRUNCATE inside a transaction: every event of a transaction carries its commit LSN, and the
 * sequence within it orders them. A truncate removes the rows written before it in its transaction,
 * keeps those written after it — also when another partition applied them first — and goes through
 * any number of cached rows a SCAN page at a time.
 */
describe.each(targets)('redis cache sink: TRUNCATE within a transaction, on $name', (target) => {
  const suite = cacheSuite(target);

  it('BEGIN; INSERT 1; TRUNCATE; INSERT 2; COMMIT leaves only row 2', async () => {
    const sink = await suite.open();
    await sink.apply(batch([ev('c', 100, { id: 7 })]));
    await sink.apply(
      batch([ev('c', 200, { id: 1 }, { seq: 0 }), truncateAt(200, 1), ev('c', 200, { id: 2 }, { seq: 2 })]),
    );
    expect(await suite.get(7)).toBeNull();
    expect(await suite.get(1)).toBeNull();
    expect(await suite.get(2)).toEqual({ id: 2 });
  });

  it("a lagging partition's copy of the truncate keeps rows another partition wrote after it", async () => {
    await suite.renew('trunc_parts');
    const sink = await suite.open();
    await sink.apply(batch([ev('c', 100, { id: 7 })], 0));
    await sink.apply(batch([truncateAt(300, 0), ev('c', 300, { id: 6 }, { seq: 1 })], 1));
    await sink.apply(batch([truncateAt(300, 0)], 0));
    expect(await suite.get(6)).toEqual({ id: 6 });
    expect(await suite.get(7)).toBeNull();
  });

  it('removes every one of many cached rows', async () => {
    await suite.renew('trunc_many');
    const sink = await suite.open();
    const rows = Array.from({ length: 1_300 }, (_, i) => ev('c', 100 + i, { id: i }));
    await sink.apply(batch(rows));
    await sink.apply(batch([truncateAt(5_000, 0), ev('c', 5_000, { id: 3 }, { seq: 1 })]));
    for (const id of [0, 1, 2, 650, 1_299]) expect(await suite.get(id)).toBeNull();
    expect(await suite.get(3)).toEqual({ id: 3 });
  });
});
