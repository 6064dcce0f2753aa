/**
 * `reset`: when the log no longer holds what a resume needs (an entry after the client's position was
 * deleted, as compaction or retention would), and on TRUNCATE, the stream says `reset` and sends a
 * fresh initial state (= the filtered SELECT) before `ready`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogKeys, connectRedis, type RedisClient } from '@distributary/changelog';
import { redisUrl } from '@distributary/testkit';
import { issueToken, parseResumeId } from '../src';
import { KEY, startGatewayPipeline, SUBSCRIPTION, type GatewayPipeline } from './gateway-pipeline';
import { Materialized, SseClient } from './sse-client';

let p: GatewayPipeline;
let redis: RedisClient;
beforeAll(async () => {
  p = await startGatewayPipeline();
  redis = connectRedis({ url: redisUrl() });
}, 120_000);
afterAll(async () => {
  redis?.disconnect();
  await p?.stop();
}, 180_000);

async function open(headers: Record<string, string> = {}): Promise<SseClient> {
  const token = await issueToken({ subscription: SUBSCRIPTION, params: { category: '5' }, ttlSeconds: 600, key: KEY });
  return SseClient.open(`${p.url}/v1/subscriptions/${SUBSCRIPTION}?category=5`, {
    authorization: `Bearer ${token}`,
    ...headers,
  });
}

function stateAfterLastReady(client: SseClient): Materialized {
  const copy = new Materialized();
  copy.apply(client.events.slice(client.events.map((e) => e.event).lastIndexOf('reset') + 1));
  return copy;
}

describe('gateway reset', () => {
  it('resets a resume whose entries were removed from the log, then streams on', async () => {
    await p.db.sql(`INSERT INTO items SELECT i, 5, 'r' || i, i, NULL FROM generate_series(1, 6) i`);
    const first = await open();
    await first.waitForEvent('ready');
    await first.waitForEvent('insert', 6);
    const lastId = first.lastId() as string;
    first.close();
    await p.db.sql(`UPDATE items SET price = price + 100`);
    await p.db.sql(`DELETE FROM items WHERE id = 6`);
    // Remove every entry after the position (what compaction or retention may do).
    const keys = new LogKeys(p.config.log.namespace);
    const at = parseResumeId(lastId, 2).vector;
    let removed = 0;
    for (let attempt = 0; attempt < 200 && removed < 7; attempt++) {
      for (let partition = 0; partition < 2; partition++) {
        const entries = await redis.xrange(keys.partition(partition), `(${at[partition]}`, '+');
        if (entries.length > 0) removed += await redis.xdel(keys.partition(partition), ...entries.map(([id]) => id));
      }
      if (removed < 7) await new Promise((r) => setTimeout(r, 50));
    }
    // ≥ 7: the position may precede entries of the first inserts too (skipped as visible in its snapshot).
    expect(removed).toBeGreaterThanOrEqual(7);
    const resumed = await open({ 'last-event-id': lastId });
    await resumed.waitForEvent('ready');
    expect(resumed.events[0].event).toBe('reset');
    expect(stateAfterLastReady(resumed).byId()).toEqual(await p.expected(5));
    await p.db.sql(`UPDATE items SET name = 'after reset' WHERE id = 1`);
    await resumed.waitForEvent('update');
    expect(stateAfterLastReady(resumed).byId()).toEqual(await p.expected(5));
    resumed.close();
  });

  it('resets on TRUNCATE', async () => {
    const client = await open();
    await client.waitForEvent('ready');
    await p.db.sql(`TRUNCATE items`);
    await p.db.sql(`INSERT INTO items VALUES (50, 5, 'after truncate', 1, NULL)`);
    await client.waitForEvent('reset');
    await client.waitForEvent('ready', 2);
    for (let i = 0; i < 400 && stateAfterLastReady(client).rows.size !== 1; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(stateAfterLastReady(client).byId()).toEqual(await p.expected(5));
    client.close();
  });
});
