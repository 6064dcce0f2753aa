/**
 * Top-N subscriptions (`order: price desc`, `limit: 3`): the initial rows are the first three, a row
 * entering the top three pushes one out (insert + delete in one transaction), a row leaving is
 * backfilled by the next one, NULL sorts first descending, ties break by id, a resume starts over
 * (reset + fresh state), and a bad order column stops the gateway from starting. Real stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '@distributary/changelog';
import { redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { Gateway, issueToken, OrderError } from '../src';
import { KEY, startGatewayPipeline, TOP_SUBSCRIPTION, type GatewayPipeline } from './gateway-pipeline';
import { isChange, Materialized, SseClient, type SseEvent } from './sse-client';

let p: GatewayPipeline;

beforeAll(async () => {
  p = await startGatewayPipeline();
  await p.db.sql(`INSERT INTO items SELECT i, 1, 'item ' || i, i * 10, NULL FROM generate_series(1, 6) i`);
  await waitFor('the inserts in the log', async () => (await p.logLength()) >= 6);
}, 120_000);
afterAll(async () => p?.stop(), 180_000);

const open = async (category: string, headers: Record<string, string> = {}) =>
  SseClient.open(`${p.url}/v1/subscriptions/${TOP_SUBSCRIPTION}?category=${category}`, {
    authorization: `Bearer ${await issueToken({ subscription: TOP_SUBSCRIPTION, params: { category }, ttlSeconds: 600, key: KEY })}`,
    ...headers,
  });

const summary = (e: SseEvent) => `${e.event} ${(JSON.parse(e.data) as { key: { id: number } }).key.id}`;

/** Waits until the client's copy equals the top-N SELECT; returns the events of the last transaction. */
async function settle(client: SseClient, category: number): Promise<void> {
  const copy = new Materialized();
  await waitFor('the copy to equal the top-N SELECT', async () => {
    copy.rows.clear();
    copy.apply(client.events);
    return JSON.stringify(copy.byId()) === JSON.stringify(await p.expectedTop(category)) || undefined;
  });
}

async function nextTransaction(client: SseClient, from: number): Promise<string[]> {
  const events = await waitFor('a transaction', async () => {
    const changes = client.events.slice(from).filter(isChange);
    const end = changes.findIndex((e) => e.id !== undefined);
    return end >= 0 ? changes.slice(0, end + 1) : undefined;
  });
  return events.map(summary);
}

describe('gateway top-N subscriptions', () => {
  it('keeps exactly the first N rows in order: enter, push out, backfill, update, NULL first, ties by key', async () => {
    const client = await open('1');
    const ready = await client.waitForEvent('ready');
    expect(client.events.slice(0, ready).map(summary)).toEqual(['insert 6', 'insert 5', 'insert 4']);

    let from = client.events.length;
    await p.db.sql(`INSERT INTO items VALUES (7, 1, 'new', 55, NULL)`); // enters, pushes 4 out
    expect(await nextTransaction(client, from)).toEqual(['delete 4', 'insert 7']);

    from = client.events.length;
    await p.db.sql(`DELETE FROM items WHERE id = 6`); // leaves: backfilled by 4
    expect(await nextTransaction(client, from)).toEqual(['delete 6', 'insert 4']);

    from = client.events.length;
    await p.db.sql(`UPDATE items SET name = 'renamed' WHERE id = 5`); // stays inside
    expect(await nextTransaction(client, from)).toEqual(['update 5']);

    from = client.events.length;
    await p.db.sql(`UPDATE items SET category_id = 2 WHERE id = 7`); // moves out of the filter
    expect(await nextTransaction(client, from)).toEqual(['delete 7', 'insert 3']);

    from = client.events.length;
    await p.db.sql(`UPDATE items SET price = NULL WHERE id = 1`); // NULLS FIRST descending
    expect(await nextTransaction(client, from)).toEqual(['delete 3', 'insert 1']);

    from = client.events.length;
    await p.db.sql(`UPDATE items SET price = 40 WHERE id = 2`); // ties with 4 (40): id 2 first
    expect(await nextTransaction(client, from)).toEqual(['delete 4', 'insert 2']);

    // A change outside the top N sends nothing; the next one inside shows it.
    from = client.events.length;
    await p.db.sql(`UPDATE items SET name = 'quiet' WHERE id = 3`);
    await p.db.sql(`UPDATE items SET name = 'loud' WHERE id = 5`);
    expect(await nextTransaction(client, from)).toEqual(['update 5']);
    await settle(client, 1);
    client.close();
  });

  it('a resume starts over exactly: reset, the first N rows, ready', async () => {
    const first = await open('1');
    const ready = await first.waitForEvent('ready');
    const readyId = first.events[ready].id as string;
    first.close();
    await p.db.sql(`INSERT INTO items VALUES (8, 1, 'top', 1000, NULL)`);
    const resumed = await open('1', { 'last-event-id': readyId });
    const again = await resumed.waitForEvent('ready');
    expect(resumed.events[0].event).toBe('reset');
    expect(resumed.events.slice(1, again).length).toBe(3);
    await settle(resumed, 1);
    resumed.close();
  });

  it('refuses to start with an order column the table does not have', async () => {
    const redis = connectRedis({ url: redisUrl() });
    const gateway = new Gateway({
      gateway: p.config.gateway!,
      subscriptions: [
        {
          name: 'bad-order',
          table: 'public.items',
          params: [],
          order: [{ column: 'nope', direction: 'asc' }],
          limit: 2,
        },
      ],
      redis,
      namespace: uniqueName('bad-order'),
      partitions: 2,
      sourceUrl: p.db.url,
      port: 0,
    });
    try {
      await expect(gateway.start()).rejects.toThrow(OrderError);
      await expect(gateway.start()).rejects.toThrow(/no column "nope"/);
    } finally {
      await gateway.stop();
      redis.disconnect();
    }
  });
});
