/**
 * A client that stops reading gets `lagging` and is closed once its unsent bytes pass
 * gateway.maxBufferBytes; a client that reads, on the same subscription, receives everything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../src';
import { KEY, startGatewayPipeline, SUBSCRIPTION, type GatewayPipeline } from './gateway-pipeline';
import { Materialized, SseClient } from './sse-client';

let p: GatewayPipeline;
beforeAll(async () => {
  p = await startGatewayPipeline({ maxBufferBytes: 262_144 });
}, 120_000);
afterAll(async () => p?.stop(), 180_000);

describe('slow clients', () => {
  it('cuts a client that does not read, never the others', async () => {
    const token = await issueToken({
      subscription: SUBSCRIPTION,
      params: { category: '9' },
      ttlSeconds: 600,
      key: KEY,
    });
    const url = `${p.url}/v1/subscriptions/${SUBSCRIPTION}?category=9&token=${token}`;
    const slow = await SseClient.open(url);
    const reader = await SseClient.open(url);
    await slow.waitForEvent('ready');
    await reader.waitForEvent('ready');
    slow.pause();
    // ~16 MB of changes: far more than the socket buffers and the bound hold.
    await p.db.sql(`INSERT INTO items SELECT i, 9, repeat('x', 1000), i, NULL FROM generate_series(1, 50) i`);
    for (let round = 0; round < 300; round++)
      await p.db.sql(`UPDATE items SET price = price + 1 WHERE category_id = 9`);
    await reader.waitForEvent('update', 15_000, 150_000);
    slow.resume();
    await slow.waitForEvent('lagging', 1, 60_000);
    expect(slow.events.at(-1)?.event).toBe('lagging');
    expect(reader.events.some((e) => e.event === 'lagging')).toBe(false);
    const copy = new Materialized();
    copy.apply(reader.events);
    expect(copy.byId()).toEqual(await p.expected(9));
    reader.close();
    slow.close();
  }, 180_000);
});
