/**
 * Transactions arrive together (one id, at their end), a resume from a `ready` id sends no
 * duplicate of a transaction already in the initial rows, `?after=<lsn>` holds `ready` back until
 * the gateway has passed the client's write, and the heartbeat comment. Real stack; every wait is
 * "until it arrives".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, LogKeys } from '@distributary/changelog';
import { redisUrl, waitFor } from '@distributary/testkit';
import { issueToken, readGatewayStatuses } from '../src';
import { KEY, startGatewayPipeline, SUBSCRIPTION, type GatewayPipeline } from './gateway-pipeline';
import { isChange, Materialized, SseClient, type SseEvent } from './sse-client';

let p: GatewayPipeline;

beforeAll(async () => {
  p = await startGatewayPipeline();
  await p.db.sql(`INSERT INTO items SELECT i, i % 3, 'item ' || i, i, NULL FROM generate_series(1, 30) i`);
  await waitFor('the inserts in the log', async () => (await p.logLength()) >= 30);
}, 120_000);
afterAll(async () => p?.stop(), 180_000);

const open = async (category: string, headers: Record<string, string> = {}, query = '') =>
  SseClient.open(`${p.url}/v1/subscriptions/${SUBSCRIPTION}?category=${category}${query}`, {
    authorization: `Bearer ${await issueToken({ subscription: SUBSCRIPTION, params: { category }, ttlSeconds: 600, key: KEY })}`,
    ...headers,
  });

const keyOf = (e: SseEvent) => (JSON.parse(e.data) as { key: { id: number } }).key.id;
const lsnOf = (e: SseEvent) => (JSON.parse(e.data) as { lsn?: string }).lsn;

async function waitForChanges(client: SseClient, from: number, n: number): Promise<SseEvent[]> {
  return waitFor(`${n} changes`, async () => {
    const found = client.events.slice(from).filter(isChange);
    return found.length >= n ? found : undefined;
  });
}

describe('gateway transactions and positions', () => {
  // First in this file: the gateway's type cache is still cold. Initial states used to resolve column
  // types through the pool while holding a connection each: with more subscribers than connections
  // (4), none finished.
  it('serves more subscribers connecting at once than it has source connections', async () => {
    const clients = await Promise.all(Array.from({ length: 12 }, (_, i) => open(String(i % 3))));
    for (const client of clients) await client.waitForEvent('ready');
    for (const client of clients) client.close();
  });

  it('sends the changes of one transaction back to back, one commit LSN, the id on the last only', async () => {
    const client = await open('1');
    const ready = await client.waitForEvent('ready');
    // Ten keys spread over both partitions, one transaction; then a single-row transaction.
    await p.db.sql(`UPDATE items SET price = price + 1000 WHERE category_id = 1 AND id <= 28`);
    await p.db.sql(`UPDATE items SET name = 'alone' WHERE id = 1`);
    const changes = await waitForChanges(client, ready + 1, 11);
    const first = client.events.indexOf(changes[0]);
    const group = client.events.slice(first, first + 10);
    expect(group.every(isChange)).toBe(true);
    expect(new Set(group.map(lsnOf)).size).toBe(1);
    expect(group.map((e) => e.id !== undefined)).toEqual([...Array(9).fill(false), true]);
    expect(group.map(keyOf).sort((a, b) => a - b)).toEqual([1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
    const alone = client.events[first + 10];
    expect([keyOf(alone), alone.id !== undefined, lsnOf(alone) !== lsnOf(group[0])]).toEqual([1, true, true]);
    client.close();
  });

  it('a resume from a ready id sends nothing the initial rows already had (no duplicate)', async () => {
    // The write is committed (so in the initial rows) but not in the log yet when the client reads.
    await p.pauseConnector();
    await p.db.sql(`UPDATE items SET name = 'before ready' WHERE id = 2`);
    const first = await open('2');
    const ready = await first.waitForEvent('ready');
    const readyId = first.events[ready].id as string;
    const initial = new Materialized();
    initial.apply(first.events.slice(0, ready));
    expect(initial.byId().find((r) => r.id === 2)?.name).toBe('before ready');
    first.close();
    p.resumeConnector();
    await p.db.sql(`UPDATE items SET name = 'sentinel' WHERE id = 5`);

    const resumed = await open('2', { 'last-event-id': readyId });
    await resumed.waitForEvent('ready');
    // The sentinel comes after the paused write in the log: once it is here, a duplicate would be too.
    const changes = await waitForChanges(resumed, 0, 1);
    expect(changes.map((e) => [e.event, keyOf(e)])).toEqual([['update', 5]]);
    resumed.close();
  });

  it('?after=<lsn> holds ready back until the gateway has passed the client write', async () => {
    const first = await open('0');
    const ready = await first.waitForEvent('ready');
    const lastId = first.events[ready].id as string;
    first.close();
    await p.pauseConnector();
    await p.db.sql(`UPDATE items SET name = 'my write' WHERE id = 3`);
    const [{ lsn }] = await p.db.sql(`SELECT pg_current_wal_lsn()::text AS lsn`);
    const resumed = await open('0', { 'last-event-id': lastId }, `&after=${lsn as string}`);
    expect(resumed.status).toBe(200);
    p.resumeConnector();
    const readyAt = await resumed.waitForEvent('ready');
    const before = resumed.events.slice(0, readyAt).filter(isChange);
    expect(before.map((e) => [e.event, keyOf(e)])).toEqual([['update', 3]]);
    resumed.close();
  });

  it('refuses a malformed ?after (400)', async () => {
    for (const bad of ['zz', '1/', '/1', '1/2/3', '123456789/1', '1/G', `${'1'.repeat(5000)}/1`, ''])
      expect((await open('0', {}, `&after=${encodeURIComponent(bad)}`)).status, bad.slice(0, 20)).toBe(400);
    for (const bad of ['0:0-0,1:0-0~1:2', '0:0-0,1:0-0~x:1:2:', `0:0-0,1:0-0~1:1:2:${'3,'.repeat(100)}3`])
      expect((await open('0', { 'last-event-id': bad })).status, bad).toBe(400);
  });

  it('publishes its status (subscribers, deliveries/s, lag, drops) for the admin API', async () => {
    const client = await open('1');
    await client.waitForEvent('ready');
    const redis = connectRedis({ url: redisUrl() });
    try {
      const keys = new LogKeys(p.config.log.namespace);
      await p.db.sql(`UPDATE items SET price = price + 1 WHERE id = 4`);
      const status = await waitFor(
        'a status with a delivery',
        async () => (await readGatewayStatuses(redis, keys)).find((s) => s.subscribers >= 1 && s.lagP99Ms !== null),
        { timeoutMs: 30_000 },
      );
      expect(status).toMatchObject({ pid: process.pid, drops: 0 });
      expect(status.deliveredPerSecond).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
      client.close();
    }
  });

  it('writes a heartbeat comment every gateway.heartbeat (1 s here)', async () => {
    const client = await open('0');
    await client.waitForEvent('ready');
    await waitFor('two heartbeats', async () => client.comments >= 2 || undefined);
    client.close();
  });
});
