/**
 * `?after=<lsn>` waits at most gateway.afterTimeout (1 s here): with the connector stopped the
 * gateway cannot pass the client's write, so the stream sends `event: error` with reason
 * "after-timeout" and closes; once the connector runs again the same request gets `ready` with the
 * write in it. Real stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@distributary/testkit';
import { issueToken } from '../src';
import { KEY, startGatewayPipeline, SUBSCRIPTION, type GatewayPipeline } from './gateway-pipeline';
import { Materialized, SseClient } from './sse-client';

let p: GatewayPipeline;

beforeAll(async () => {
  p = await startGatewayPipeline({ afterTimeout: '1s' });
  await p.db.sql(`INSERT INTO items VALUES (1, 7, 'one', 1, NULL)`);
  await waitFor('the insert in the log', async () => (await p.logLength()) >= 1);
}, 120_000);
afterAll(async () => p?.stop(), 180_000);

const open = async (after: string) =>
  SseClient.open(`${p.url}/v1/subscriptions/${SUBSCRIPTION}?category=7&after=${after}`, {
    authorization: `Bearer ${await issueToken({ subscription: SUBSCRIPTION, params: { category: '7' }, ttlSeconds: 600, key: KEY })}`,
  });

describe('?after= timeout', () => {
  it('answers with an after-timeout error event and closes when the write cannot be passed in time', async () => {
    await p.pauseConnector();
    await p.db.sql(`UPDATE items SET name = 'my write' WHERE id = 1`);
    const [{ lsn }] = await p.db.sql(`SELECT pg_current_wal_lsn()::text AS lsn`);
    const client = await open(lsn as string);
    expect(client.status).toBe(200);
    const at = await client.waitForEvent('error');
    const data = JSON.parse(client.events[at].data) as { reason: string; message: string };
    expect(data.reason).toBe('after-timeout');
    expect(data.message).toContain(lsn as string);
    expect(client.events.some((e) => e.event === 'ready')).toBe(false);
    await waitFor('the stream to close', async () => client.ended || undefined);
    client.close();

    p.resumeConnector();
    const again = await open(lsn as string);
    const ready = await again.waitForEvent('ready');
    const copy = new Materialized();
    copy.apply(again.events.slice(0, ready));
    expect(copy.byId().map((r) => r.name)).toEqual(['my write']);
    again.close();
  });
});
