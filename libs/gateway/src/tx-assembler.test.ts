import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import type { LogEntry } from '@distributary/changelog';
import { TxAssembler, type TxGroup } from './tx-assembler';

const entry = (id: string, xid?: number): LogEntry => ({
  id,
  event: {
    pos: { lsn: BigInt(id.split('-')[0]), seq: 0 },
    op: 'u',
    table: 'public.t',
    key: { id },
    xid,
  } as ChangeEvent,
  size: 10,
});

let assembler: TxAssembler | undefined;
afterEach(() => assembler?.stop());

function start(partitions: number): { groups: TxGroup[]; a: TxAssembler } {
  const groups: TxGroup[] = [];
  assembler = new TxAssembler(
    Array.from({ length: partitions }, () => '0-0'),
    (g) => groups.push(g),
  );
  return { groups, a: assembler };
}
const ids = (g: TxGroup) => g.items.map((i) => `${i.partition}:${i.entry.id}`);

describe('transaction assembly', () => {
  it('releases a transaction once its marker count is reached across partitions, in partition order', () => {
    const { groups, a } = start(2);
    a.entry(0, entry('100-0', 7));
    a.entry(0, entry('100-2', 7));
    a.entry(0, entry('200-0', 8)); // a later transaction, queued behind
    expect(groups).toEqual([]);
    a.marker(100n, 3);
    expect(groups).toEqual([]);
    a.entry(1, entry('100-1', 7));
    expect(groups.map(ids)).toEqual([['0:100-0', '0:100-2', '1:100-1']]);
    expect(groups[0].vector).toEqual(['100-2', '100-1']);
    a.marker(200n, 1);
    expect(groups.map(ids)[1]).toEqual(['0:200-0']);
    expect(groups[1].vector).toEqual(['200-0', '100-1']);
  });

  it('lets entries without an xid and transactions without a marker go', () => {
    const { groups, a } = start(2);
    a.entry(0, entry('50-0'));
    expect(groups.map(ids)).toEqual([['0:50-0']]);
    a.entry(1, entry('60-0', 3));
    a.markersAt(70n); // the marker stream is past 60 without a commit marker for it
    expect(groups.map(ids)[1]).toEqual(['1:60-0']);
  });

  it('releases a transaction whose marker never comes after TX_WAIT_MS', async () => {
    const { groups, a } = start(1);
    a.entry(0, entry('10-0', 1));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(groups.map(ids)).toEqual([['0:10-0']]);
  });
});
