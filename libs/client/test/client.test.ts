/**
 * @distributary/client against a real gateway: a real connector streams a fresh database's WAL into a
 * unique log namespace, the gateway tails it (libs/gateway/test/gateway-pipeline.ts). The client's
 * copy is compared with the filtered SELECT; connections are cut with a real TCP proxy. No timing
 * assertions: every wait is "until it holds".
 */
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, waitFor, type TcpProxy } from '@distributary/testkit';
import { KEY, startGatewayPipeline, SUBSCRIPTION, type GatewayPipeline } from '../../gateway/test/gateway-pipeline';
import {
  createClient,
  subscribe,
  subscriptionUrl,
  type Change,
  type Subscription,
  type SubscriptionError,
} from '../src';
import { issueToken } from '../src/server';

interface Item extends Record<string, unknown> {
  id: number;
  category_id: number;
  name: string;
  price: string | null;
  meta: unknown;
}
type Subscriptions = { [SUBSCRIPTION]: { params: { category: number }; row: Item } };

let p: GatewayPipeline;
let proxy: TcpProxy;
const open: Subscription<Item>[] = [];

beforeAll(async () => {
  p = await startGatewayPipeline();
  proxy = await startTcpProxy(Number(new URL(p.url).port));
  await p.db.sql(`INSERT INTO items SELECT i, i % 4, 'item ' || i, i * 1.5, NULL FROM generate_series(1, 40) i`);
  // In the log before a test subscribes: a position taken earlier could precede them, and the exact
  // change lists below would then also hold these inserts.
  await waitFor('the inserts in the log', async () => (await p.logLength()) >= 40);
}, 120_000);
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
afterAll(async () => {
  await proxy?.close();
  await p?.stop();
}, 180_000);

const token = (category: number | string, ttl: number | string = 600) =>
  issueToken({ subscription: SUBSCRIPTION, params: { category }, ttl, key: KEY });

function track(subscription: Subscription<Item>): Subscription<Item> {
  open.push(subscription);
  return subscription;
}

/** The copy as the filtered SELECT renders it (ordered by id). */
function byId(subscription: Subscription<Item>): Item[] {
  return [...subscription.rows().values()].sort((a, b) => a.id - b.id);
}

async function converges(subscription: Subscription<Item>, category: number): Promise<void> {
  let expected: Record<string, unknown>[] = [];
  await waitFor(
    `the copy of category ${category} to equal the SELECT`,
    async () => {
      expected = await p.expected(category);
      return JSON.stringify(byId(subscription)) === JSON.stringify(expected);
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  ).catch(() => undefined);
  expect(byId(subscription)).toEqual(expected);
}

describe('subscribe() against a real gateway', () => {
  it('holds the initial state, then applies changes, enter and leave, and deletes', async () => {
    const changes: Change<Item>[] = [];
    const live = createClient<Subscriptions>(p.url, { getToken: (_name, params) => token(params.category) });
    const subscription = track(live.subscribe(SUBSCRIPTION, { category: 1 }, { onChange: (c) => changes.push(c) }));
    const initial = await subscription.whenReady();
    expect([...initial.values()].map((r) => r.id).sort((a, b) => a - b)).toEqual(
      (await p.expected(1)).map((r) => r.id),
    );
    expect(subscription.status).toBe('live');

    await p.db.sql(`INSERT INTO items VALUES (101, 1, 'new', 9.99, '{"n": 12345678901234567890}')`);
    await p.db.sql(`UPDATE items SET price = 10.01 WHERE id = 101`);
    await p.db.sql(`UPDATE items SET category_id = 2 WHERE id = 1`); // leaves
    await p.db.sql(`UPDATE items SET category_id = 1 WHERE id = 2`); // enters
    await p.db.sql(`DELETE FROM items WHERE id = 5`);
    await converges(subscription, 1);
    expect(subscription.rows().get(JSON.stringify({ id: 101 }))?.price).toBe('10.01');
    expect(changes.map((c) => [c.kind, c.key.id]).sort()).toEqual(
      [
        ['delete', 1],
        ['delete', 5],
        ['insert', 101],
        ['insert', 2],
        ['update', 101],
      ].sort(),
    );
    expect(changes.every((c) => c.lsn && c.id)).toBe(true);
  });

  it('applies a transaction as a whole', async () => {
    const seen: { size: number; ids: number[] }[] = [];
    const subscription = track(
      subscribe<Item>(subscriptionUrl(p.url, SUBSCRIPTION), {
        params: { category: 3 },
        token: await token(3),
        onTransaction: (changes, rows) => seen.push({ size: rows.size, ids: changes.map((c) => c.key.id as number) }),
      }),
    );
    const before = (await subscription.whenReady()).size;
    await p.db.sql(`BEGIN; INSERT INTO items VALUES (301, 3, 'a', 1, NULL), (302, 3, 'b', 2, NULL);
      DELETE FROM items WHERE id = 3; COMMIT`);
    await converges(subscription, 3);
    // Keys of one transaction may sit in different partitions; the rows the callback saw always
    // include every change of its transaction.
    const applied = seen.flatMap((t) => t.ids).sort((a, b) => a - b);
    expect(applied).toEqual([3, 301, 302]);
    expect(seen.at(-1)?.size).toBe(before + 1);
  });

  it('resumes after a cut connection with no gap and no duplicate', async () => {
    const changes: Change<Item>[] = [];
    const errors: SubscriptionError[] = [];
    let resets = 0;
    const subscription = track(
      subscribe<Item>(subscriptionUrl(proxy.url('http'), SUBSCRIPTION), {
        params: { category: 2 },
        getToken: () => token(2),
        backoff: { initialMs: 50, maxMs: 200 },
        onChange: (c) => changes.push(c),
        onError: (e) => errors.push(e),
        onReset: () => resets++,
      }),
    );
    await subscription.whenReady();
    const before = subscription.lastEventId;
    for (let round = 0; round < 3; round++) {
      proxy.cut();
      await p.db.sql(`UPDATE items SET price = price + 1 WHERE category_id = 2`);
      await p.db.sql(`INSERT INTO items VALUES ($1, 2, 'while cut', 1, NULL)`, [200 + round]);
      await p.db.sql(`UPDATE items SET category_id = 0 WHERE id = (SELECT min(id) FROM items WHERE category_id = 2)`);
      await p.db.sql(`DELETE FROM items WHERE id = (SELECT max(id) FROM items WHERE category_id = 2 AND id < 200)`);
      await p.db.sql(`UPDATE items SET category_id = 2 WHERE id = (SELECT min(id) FROM items WHERE category_id = 0)`);
      await waitFor('the client to notice the cut', async () => subscription.status !== 'live', { intervalMs: 20 });
      proxy.resume();
      await converges(subscription, 2);
    }
    expect(resets).toBe(0);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => !e.fatal)).toBe(true);
    expect(subscription.lastEventId).not.toBe(before);
    // Every transaction applied once: (id, key) pairs are unique.
    const applied = changes.map((c) => `${c.id} ${JSON.stringify(c.key)}`);
    expect(new Set(applied).size).toBe(applied.length);
  });

  it('renews an expiring token through getToken and resumes from its last id', async () => {
    let minted = 0;
    let resets = 0;
    const subscription = track(
      subscribe<Item>(subscriptionUrl(p.url, SUBSCRIPTION), {
        params: { category: 0 },
        getToken: () => {
          minted++;
          return token(0, 3);
        },
        onReset: () => resets++,
      }),
    );
    await subscription.whenReady();
    for (let i = 0; minted < 3; i++) {
      await p.db.sql(`UPDATE items SET name = $1 WHERE category_id = 0`, [`renamed ${i}`]);
      await new Promise((r) => setTimeout(r, 200));
    }
    await converges(subscription, 0);
    expect(resets).toBe(0);
    expect(subscription.status).not.toBe('failed');
  });

  it('starts over on reset (TRUNCATE)', async () => {
    let resets = 0;
    const subscription = track(
      subscribe<Item>(subscriptionUrl(p.url, SUBSCRIPTION), {
        params: { category: 7 },
        token: await token(7),
        onReset: () => resets++,
      }),
    );
    await p.db.sql(`INSERT INTO items VALUES (700, 7, 'x', 1, NULL), (701, 7, 'y', 1, NULL)`);
    await converges(subscription, 7);
    await p.db.sql(`TRUNCATE items`);
    await p.db.sql(`INSERT INTO items VALUES (702, 7, 'after truncate', 1, NULL)`);
    await waitFor('the reset', async () => resets > 0);
    await converges(subscription, 7);
    expect(byId(subscription).map((r) => r.id)).toEqual([702]);
  });
});

describe('refused tokens', () => {
  async function refusal(category: number, options: { token?: string; getToken?: () => Promise<string> }) {
    const subscription = track(
      subscribe<Item>(subscriptionUrl(p.url, SUBSCRIPTION), { params: { category }, ...options }),
    );
    const error = (await subscription.whenReady().then(
      () => undefined,
      (e: unknown) => e,
    )) as SubscriptionError;
    expect(subscription.status).toBe('failed');
    expect(error.fatal).toBe(true);
    return error;
  }

  it('refuses a forged token (another secret), an expired one and one for other parameters', async () => {
    const forged = await issueToken({
      subscription: SUBSCRIPTION,
      params: { category: 1 },
      key: { kid: KEY.kid, secret: 'not-the-gateway-secret-0123456789abcdef' },
    });
    expect((await refusal(1, { token: forged })).status).toBe(401);
    const expired = await new SignJWT({ sub: SUBSCRIPTION, prm: { category: '1' } })
      .setProtectedHeader({ alg: 'HS256', kid: KEY.kid })
      .setAudience('distributary-gateway')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode(KEY.secret));
    expect((await refusal(1, { token: expired })).status).toBe(401);
    // getToken is asked once more after a refusal, then the client gives up.
    let asked = 0;
    const error = await refusal(1, {
      getToken: async () => {
        asked++;
        return expired;
      },
    });
    expect([error.status, asked]).toEqual([401, 1]);
    expect((await refusal(1, { token: await token(4) })).status).toBe(403);
  });
});
