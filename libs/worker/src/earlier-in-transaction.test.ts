import { afterAll, describe, expect, it } from 'vitest';
import { encodeEvent, type ChangeEvent } from '@distributary/core';
import { ChangeLog, LogKeys, connectRedis } from '@distributary/changelog';
import { deleteNamespace, redisUrl, uniqueName } from '@distributary/testkit';
import { earlierInTransaction } from './earlier-in-transaction';

const redis = connectRedis({ url: redisUrl() });
const keys = new LogKeys(uniqueName('earlier_tx'));
const log = new ChangeLog(redis, keys, 2);

afterAll(async () => {
  await deleteNamespace(redis, keys.namespace);
  redis.disconnect();
});

const event = (lsn: bigint, seq: number): ChangeEvent => ({
  pos: { lsn, seq },
  op: 'c',
  table: 'public.t',
  key: { id: seq },
  after: { id: seq },
});

async function append(partition: number, events: ChangeEvent[]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const e of events) {
    const encoded = encodeEvent(e);
    pipeline.xadd(keys.partition(partition), encoded.id, ...Object.entries(encoded.fields).flat());
  }
  await pipeline.exec();
}

/** The part of a transaction before a batch's first event, read back from that partition's log. */
describe('earlierInTransaction', () => {
  it("yields exactly the partition's entries of the transaction before the given event, in order, in pages", async () => {
    const before = [event(100n, 0), event(100n, 1)];
    const tx = Array.from({ length: 2_345 }, (_, seq) => event(200n, seq));
    await append(0, [...before, ...tx, event(300n, 0)]);
    await append(1, [event(200n, 5_000)]); // another partition's entry of the same transaction
    const first = tx[2_300];
    const pages: ChangeEvent[][] = [];
    for await (const page of earlierInTransaction(log, 0, first)()) pages.push(page);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flat().map((e) => `${e.pos.lsn}-${e.pos.seq}`)).toEqual(
      tx.slice(0, 2_300).map((e) => `${e.pos.lsn}-${e.pos.seq}`),
    );
  });

  it('yields nothing when the event opens its transaction or there is no event', async () => {
    const collect = async (first: ChangeEvent | undefined): Promise<number> => {
      let n = 0;
      for await (const page of earlierInTransaction(log, 0, first)()) n += page.length;
      return n;
    };
    expect(await collect(event(300n, 0))).toBe(0);
    expect(await collect(undefined)).toBe(0);
    expect(await collect(event(100n, 1))).toBe(1);
  });
});
