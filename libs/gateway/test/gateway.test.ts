/**
 * The gateway against the real stack: a connector writes a unique log namespace, the gateway tails
 * it and reads initial states from PostgreSQL. No timing assertions: every wait is "until it arrives".
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '@distributary/observability';
import { waitFor } from '@distributary/testkit';
import { issueToken, TOKEN_AUDIENCE } from '../src';
import { KEY, startGatewayPipeline, SUBSCRIPTION, type GatewayPipeline } from './gateway-pipeline';
import { isChange, Materialized, SseClient, type SseEvent } from './sse-client';

let p: GatewayPipeline;

beforeAll(async () => {
  p = await startGatewayPipeline();
  await p.db.sql(`
    INSERT INTO items SELECT i, i % 5, 'item ' || i, (i * 1.25)::numeric(12,2),
      ('{"big": 1234567890123456789' || i || ', "tags": ["a"]}')::jsonb FROM generate_series(1, 40) i`);
  // In the log before any test subscribes, so no position precedes them (exact change lists below).
  await waitFor('the inserts in the log', async () => (await p.logLength()) >= 40);
}, 120_000);
afterAll(async () => p?.stop(), 180_000);

const token = (category: string, ttlSeconds = 600) =>
  issueToken({ subscription: SUBSCRIPTION, params: { category }, ttlSeconds, key: KEY });
const streamUrl = (category: string, extra = '') =>
  `${p.url}/v1/subscriptions/${SUBSCRIPTION}?category=${category}${extra}`;

async function subscribe(category: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return SseClient.open(streamUrl(category), { authorization: `Bearer ${await token(category)}`, ...headers });
}

/** Change events by key (a stable sort: each key's events stay in arrival order, the per-key promise;
 *  keys in different partitions have no order between them). */
function changes(events: SseEvent[]): { event: string; id: number }[] {
  return events
    .filter((e) => ['insert', 'update', 'delete'].includes(e.event) && isChange(e))
    .map((e) => ({ event: e.event, id: (JSON.parse(e.data) as { key: { id: number } }).key.id }))
    .sort((a, b) => a.id - b.id);
}

async function waitForChanges(client: SseClient, n: number): Promise<void> {
  for (let i = 0; i < 600 && changes(client.events).length < n; i++) await new Promise((r) => setTimeout(r, 50));
  expect(changes(client.events).length).toBeGreaterThanOrEqual(n);
}

async function settle(client: SseClient, category: number): Promise<Materialized> {
  const copy = new Materialized();
  const expected = await p.expected(category);
  for (let attempt = 0; attempt < 300; attempt++) {
    copy.rows.clear();
    copy.apply(client.events);
    if (JSON.stringify(copy.byId()) === JSON.stringify(expected)) return copy;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(copy.byId()).toEqual(expected);
  return copy;
}

describe('gateway subscriptions', () => {
  it('streams the initial state (= the filtered SELECT, values exact), then changes with enter and leave', async () => {
    const client = await subscribe('3');
    expect(client.status).toBe(200);
    const ready = await client.waitForEvent('ready');
    const initial = new Materialized();
    initial.apply(client.events.slice(0, ready));
    expect(initial.byId()).toEqual(await p.expected(3));
    expect(initial.rows.size).toBe(8);
    expect(client.events[ready].id).toMatch(/^0:\d+-\d+,1:\d+-\d+(~[\d:,]+)?$/);

    await p.db.sql(`INSERT INTO items VALUES (100, 3, 'new', 9.99, '{"x": 123456789012345678901234567890.5}')`);
    await p.db.sql(`UPDATE items SET price = 10.01 WHERE id = 100`);
    await p.db.sql(`UPDATE items SET category_id = 4 WHERE id = 3`); // leaves
    await p.db.sql(`UPDATE items SET category_id = 3 WHERE id = 4`); // enters
    await p.db.sql(`UPDATE items SET name = 'elsewhere' WHERE id = 1`); // another category: nothing
    await p.db.sql(`DELETE FROM items WHERE id = 8`);
    await settle(client, 3);
    expect(changes(client.events.slice(ready + 1))).toEqual([
      { event: 'delete', id: 3 },
      { event: 'insert', id: 4 },
      { event: 'delete', id: 8 },
      { event: 'insert', id: 100 },
      { event: 'update', id: 100 },
    ]);
    const inserted = client.events.find((e) => e.event === 'insert' && isChange(e) && e.data.includes('"id":100'));
    expect(inserted?.data).toContain('"meta":{"x": 123456789012345678901234567890.5}'); // exact, not a double
    client.close();
  });

  it('resumes from Last-Event-ID with exactly the missed events, no duplicate', async () => {
    const client = await subscribe('2');
    await client.waitForEvent('ready');
    await p.db.sql(`UPDATE items SET price = 1 WHERE id = 2`);
    await client.waitForEvent('update');
    const lastId = client.lastId() as string;
    client.close();

    await p.db.sql(`UPDATE items SET price = 2 WHERE id = 2`);
    await p.db.sql(`INSERT INTO items VALUES (101, 2, 'missed', 1, NULL)`);
    await p.db.sql(`UPDATE items SET category_id = 0 WHERE id = 7`); // leaves
    await p.db.sql(`UPDATE items SET category_id = 2 WHERE id = 10`); // enters
    await p.db.sql(`UPDATE items SET price = 3 WHERE id = 5`); // category 0: not for us

    const resumed = await subscribe('2', { 'last-event-id': lastId });
    expect(resumed.status).toBe(200);
    await resumed.waitForEvent('ready');
    await waitForChanges(resumed, 4);
    // Sentinels on every key we got: once they arrive, any duplicate would have arrived before them.
    await p.db.sql(`UPDATE items SET name = 'sentinel' WHERE id IN (2, 10, 101)`);
    await waitForChanges(resumed, 7);
    const copy = new Materialized();
    copy.apply(client.events);
    copy.apply(resumed.events);
    expect(copy.byId()).toEqual(await p.expected(2));
    expect(resumed.events.some((e) => e.event === 'reset')).toBe(false);
    expect(changes(resumed.events)).toEqual([
      { event: 'update', id: 2 },
      { event: 'update', id: 2 },
      { event: 'delete', id: 7 },
      { event: 'insert', id: 10 },
      { event: 'update', id: 10 },
      { event: 'insert', id: 101 },
      { event: 'update', id: 101 },
    ]);
    resumed.close();
  });

  it('refuses missing, forged, expired and admin tokens (401), other scopes (403), bad requests', async () => {
    const status = async (url: string, bearer?: string) =>
      (await SseClient.open(url, bearer ? { authorization: `Bearer ${bearer}` } : {})).status;
    expect(await status(streamUrl('3'))).toBe(401);
    const forged = await issueToken({
      subscription: SUBSCRIPTION,
      params: { category: '3' },
      ttlSeconds: 60,
      key: { kid: KEY.kid, secret: 'not-the-gateway-secret-0123456789abc' },
    });
    expect(await status(streamUrl('3'), forged)).toBe(401);
    const expired = await new SignJWT({ sub: SUBSCRIPTION, prm: { category: '3' } })
      .setProtectedHeader({ alg: 'HS256', kid: KEY.kid })
      .setAudience(TOKEN_AUDIENCE)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 1)
      .sign(new TextEncoder().encode(KEY.secret));
    expect(await status(streamUrl('3'), expired)).toBe(401);
    expect(await status(streamUrl('3'), 'an-admin-operator-token')).toBe(401);
    // A token for category 4 can never see category 3.
    expect(await status(streamUrl('3'), await token('4'))).toBe(403);
    expect(await status(streamUrl('3', `&token=${await token('4')}`))).toBe(403);
    expect(await status(streamUrl('3', `&token=${await token('3')}`))).toBe(200);
    expect(await status(`${p.url}/v1/subscriptions/nope?category=3`, await token('3'))).toBe(404);
    expect(await status(streamUrl('3', '&other=1'), await token('3'))).toBe(400);
    expect(await status(streamUrl('3', '&lastEventId=0:0-0'), await token('3'))).toBe(400);
    expect(await status(`${p.url}/health/ready`)).toBe(200);
    const preflight = await fetch(streamUrl('3'), { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect((await fetch(streamUrl('3'), { method: 'POST' })).status).toBe(405);
  });

  it('ends the stream with `expired` when the token expires, after heartbeats', async () => {
    const short = await issueToken({ subscription: SUBSCRIPTION, params: { category: '1' }, ttlSeconds: 2, key: KEY });
    const client = await SseClient.open(streamUrl('1', `&token=${short}`));
    await client.waitForEvent('expired');
    expect(client.comments).toBeGreaterThanOrEqual(1);
    expect(client.events.at(-1)?.event).toBe('expired');
    const closed = await registry.getSingleMetricAsString('distributary_gateway_streams_closed_total');
    expect(closed).toContain(`subscription="${SUBSCRIPTION}",reason="expired"} 1`);
  });
});
