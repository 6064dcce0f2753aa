import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import type { LogEntry } from '@distributary/changelog';
import { TxAssembler, type CompletionProbe, type TxGroup } from './tx-assembler';

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

function start(partitions: number, probe?: CompletionProbe): { groups: TxGroup[]; a: TxAssembler } {
  const groups: TxGroup[] = [];
  assembler = new TxAssembler(
    Array.from({ length: partitions }, () => '0-0'),
    (g) => groups.push(g),
    probe,
    { waitMs: 50, giveUpMs: 250, maxEntries: 3 },
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

  it('lets entries without an xid go alone; a transaction without a marker once the probe says it was read entirely', async () => {
    const asked: bigint[] = [];
    let answer: () => void = () => undefined;
    const { groups, a } = start(2, (lsn) => {
      asked.push(lsn);
      return new Promise<void>((resolve) => (answer = resolve));
    });
    a.entry(0, entry('50-0'));
    expect(groups.map(ids)).toEqual([['0:50-0']]);
    a.entry(1, entry('60-0', 3));
    a.markersAt(70n); // the marker stream is past 60 without a commit marker: ask at once
    expect(asked).toEqual([60n]);
    a.entry(0, entry('60-1', 3)); // the other partition's entry of the same transaction, read later
    expect(groups.length).toBe(1);
    answer();
    await Promise.resolve();
    expect(groups.map(ids)[1]).toEqual(['0:60-1', '1:60-0']);
  });

  it('a transaction without a marker is complete once every partition has read past its LSN', () => {
    const { groups, a } = start(2);
    a.entry(0, entry('60-0', 3));
    a.entry(1, entry('60-1', 3));
    expect(groups).toEqual([]);
    a.entry(0, entry('70-0', 4));
    a.entry(1, entry('70-1', 4));
    expect(groups.map(ids)[0]).toEqual(['0:60-0', '1:60-1']);
  });

  it('a marker later than the wait never splits the transaction: the probe is asked, the marker completes it', async () => {
    const asked: bigint[] = [];
    const { groups, a } = start(2, (lsn) => {
      asked.push(lsn);
      return new Promise<void>(() => undefined); // the slot has not confirmed it
    });
    a.entry(0, entry('10-0', 1));
    await new Promise((resolve) => setTimeout(resolve, 120)); // > waitMs (50 ms here)
    expect(asked).toEqual([10n]);
    expect(groups).toEqual([]);
    a.entry(1, entry('10-1', 1));
    a.marker(10n, 2);
    expect(groups.map(ids)).toEqual([['0:10-0', '1:10-1']]);
  });

  it('goes in chunks beyond maxEntries, and as it is after giveUpMs when nothing can settle it', async () => {
    const { groups, a } = start(1);
    a.entry(0, entry('10-0', 1));
    a.entry(0, entry('10-1', 1));
    a.entry(0, entry('10-2', 1)); // maxEntries 3 here
    expect(groups.map(ids)).toEqual([['0:10-0', '0:10-1', '0:10-2']]);
    a.entry(0, entry('20-0', 2));
    await new Promise((resolve) => setTimeout(resolve, 350)); // > giveUpMs (250 ms here), no probe
    expect(groups.map(ids)[1]).toEqual(['0:20-0']);
  });
});
