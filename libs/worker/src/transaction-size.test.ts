import { afterAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { LogAppender, LogKeys, connectRedis } from '@distributary/changelog';
import { redisUrl, uniqueName } from '@distributary/testkit';
import { deleteNamespace } from '@distributary/testkit';
import { transactionSizeFromLog } from './transaction-size';

const redis = connectRedis({ url: redisUrl() });
const namespace = uniqueName('txsize');
const keys = new LogKeys(namespace);

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe('transaction size from the log', () => {
  it('counts a transaction’s entries of the view tables over all partitions, once its commit marker is logged', async () => {
    const appender = new LogAppender(redis, keys, 4);
    const lsn = 777n;
    const event = (seq: number, table: string, id: number): ChangeEvent => ({
      pos: { lsn, seq },
      op: 'c',
      table,
      key: { id },
      after: { id },
    });
    const events = [
      event(0, 'public.orders', 1),
      event(1, 'public.orders', 2),
      event(2, 'public.other', 3),
      event(3, 'public.products', 4),
      event(4, 'public.orders', 5),
    ];
    const size = transactionSizeFromLog({ redis, keys, partitions: 4 }, ['public.orders', 'public.products']);
    await appender.append(events.slice(0, 3), []);
    expect(await size(lsn)).toBeUndefined();
    await appender.append(events.slice(3), [
      { commitLsn: lsn, marker: { kind: 'commit', xid: 42, events: events.length } },
    ]);
    expect(await size(lsn)).toBe(4);
  });
});
