import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendDeadLetter, type LogKeys, type RedisClient } from '@distributary/changelog';
import { deleteNamespace, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { startAdmin, type RunningAdmin } from './index';
import { closeAdminTestEnv, openAdminTestEnv, type AdminTestEnv } from './testing/admin-test-env';
import { callApi, type CallOptions } from './testing/http-client';
import { appendEvents, OPERATOR_TOKEN, productEvents, testConfig, VIEWER_TOKEN } from './testing/pipeline-fixture';

/**
 * The admin API against hostile requests: oversized and non-JSON bodies, malformed parameters, SQL in
 * a snapshot condition, wrong tokens in bulk, huge row values in the DLQ — each answered with a clean
 * 4xx (nothing executed, nothing created), plus the security headers, the loopback default and the
 * audit log of operator actions.
 */
const SINK = 'product-cache';
const INJECTION = 'id = -1; CREATE TABLE public.injected (x int); --';
let env: AdminTestEnv;
let db: TestDatabase;
let redis: RedisClient;
let keys: LogKeys;
let admin: RunningAdmin;

const call = (path: string, options: CallOptions = {}) => callApi(admin.url, path, { token: VIEWER_TOKEN, ...options });
const asOperator = (path: string, body: unknown = {}) => call(path, { token: OPERATOR_TOKEN, method: 'POST', body });
const injectedExists = async () =>
  (await db.sql<{ n: string }>(`SELECT count(*)::text AS n FROM pg_class WHERE relname = 'injected'`))[0].n !== '0';

beforeAll(async () => {
  env = await openAdminTestEnv('admsec', { productsTable: true });
  ({ db, redis, keys } = env);
  env.config.admin.tokens[1].name = 'alice';
  admin = await startAdmin(env.config, { port: 0, dashboardDir: null, envTokens: '' });
});

afterAll(() => closeAdminTestEnv(env, admin));

describe('admin API: transport hygiene', () => {
  it('listens on 127.0.0.1 unless configured', () => {
    expect((admin.app.getHttpServer().address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it('sends security headers and no X-Powered-By, on API, public and error answers', async () => {
    for (const [path, token] of [
      ['/api/sinks', VIEWER_TOKEN],
      ['/health/live', null],
      ['/api/nope', VIEWER_TOKEN],
      ['/api/sinks', null],
    ] as const) {
      const answer = await call(path, { token });
      expect(answer.headers.get('x-powered-by'), path).toBeNull();
      expect(answer.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(answer.headers.get('content-security-policy'), path).toMatch(/default-src 'self'/);
      expect(answer.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
    }
  });

  it('answers 413 to an oversized body, declared or chunked, before reading it', async () => {
    const big = await call(`/api/sinks/${SINK}/dlq/drop`, {
      token: OPERATOR_TOKEN,
      method: 'POST',
      raw: { type: 'application/json', text: JSON.stringify({ ids: [], pad: 'x'.repeat(30 * 1024 * 1024) }) },
    });
    expect(big.status).toBe(413);
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        const piece = new TextEncoder().encode(`"${'y'.repeat(16 * 1024)}",`);
        controller.enqueue(new TextEncoder().encode('{"ids":['));
        for (let i = 0; i < 8; i++) controller.enqueue(piece);
        controller.enqueue(new TextEncoder().encode('"1-0"]}'));
        controller.close();
      },
    });
    const chunked = await fetch(`${admin.url}/api/sinks/${SINK}/dlq/drop`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { message: string }).message).toBe('request body too large');
  });

  it('accepts JSON bodies only: a form or text body is 415 and changes nothing', async () => {
    await redis.hset(keys.positions(0), SINK, '5-0');
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const form = await call(`/api/sinks/${SINK}/replay`, {
        token: OPERATOR_TOKEN,
        method: 'POST',
        raw: { type, text: 'from=start' },
      });
      expect(form.status, type).toBe(415);
    }
    const untyped = await call(`/api/sinks/${SINK}/replay`, {
      token: OPERATOR_TOKEN,
      method: 'POST',
      raw: { text: 'from=start' },
    });
    expect(untyped.status).toBe(415);
    expect(await redis.hget(keys.positions(0), SINK)).toBe('5-0');
    const broken = await call(`/api/sinks/${SINK}/replay`, {
      token: OPERATOR_TOKEN,
      method: 'POST',
      raw: { type: 'application/json', text: '{"from": ' },
    });
    expect(broken.status).toBe(400);
  });

  it('answers 400 to malformed parameters, naming them, never a raw Redis error', async () => {
    const cases: [string, RegExp][] = [
      [`/api/sinks/${SINK}/dlq?after=zzz`, /after/],
      [`/api/sinks/${SINK}/dlq?after=99999999999999999999-0`, /after/],
      [`/api/sinks/${SINK}/dlq?after=1-0&after=2-0`, /after/],
      [`/api/sinks/${SINK}/dlq?limit=1e2`, /limit/],
      [`/api/sinks/${SINK}/dlq?full=yes`, /full/],
      [`/api/sinks/${encodeURIComponent('bad name;')}`, /sink name/],
      [`/api/sinks/${SINK}/wait?lsn=${'1'.repeat(100)}`, /lsn/],
      [`/api/sinks/${SINK}/wait?lsn=0/0&timeoutMs=-1`, /timeoutMs/],
      ['/api/events/tail?sample=0', /sample/],
      ['/api/audit?before=nope', /before/],
    ];
    for (const [path, message] of cases) {
      const answer = await call(path);
      expect(answer.status, path).toBe(400);
      expect(answer.text, path).toMatch(message);
      expect(answer.text, path).not.toMatch(/ERR |ReplyError|stack/);
    }
    const bad = await call(`/api/sinks/${SINK}/dlq/1-0x`, { token: OPERATOR_TOKEN, method: 'DELETE' });
    expect(bad.status).toBe(400);
    expect((await asOperator('/api/snapshots/..%2F..%2Fx/pause')).status).toBe(400);
    expect((await asOperator(`/api/sinks/${SINK}/dlq/drop`, { ids: ['18446744073709551616-0'] })).status).toBe(400);
  });
});

describe('admin API: hostile snapshot conditions', () => {
  it('refuses SQL injection in `where` with 400: nothing recorded, nothing created', async () => {
    const answer = await asOperator('/api/snapshots', { tables: ['public.products'], where: INJECTION });
    expect(answer.status).toBe(400);
    expect((answer.body as { message: string }).message).toMatch(/^where: a ";"/);
    for (const where of ['id IN (SELECT 1)', 'pg_sleep(5) IS NULL', 'missing = 1', 'id = 1 -- c', 'x'.repeat(5000)])
      expect((await asOperator('/api/snapshots', { where })).status, where).toBe(400);
    expect((await call('/api/snapshots')).body).toEqual([]);
    expect(await injectedExists()).toBe(false);
  });

  it('accepts a plain condition and records it as rendered from its AST', async () => {
    const answer = await asOperator('/api/snapshots', { where: "lower(name) LIKE 'a%' AND id > 3" });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject([
      { table: 'public.products', where: "pg_catalog.lower(name) LIKE 'a%' AND id > 3" },
    ]);
  });
});

describe('admin API: bounded row previews', () => {
  it('cuts huge dead-letter values for everyone; operators get the whole value with ?full=1', async () => {
    const [event] = productEvents(1);
    const huge = 'abcdefghij'.repeat(200_000); // 2 MB of row text, as a TOASTed column
    await appendDeadLetter(redis, keys, SINK, 0, { ...event, after: { ...event.after, description: huge } }, 'too big');
    const page = await call(`/api/sinks/${SINK}/dlq`);
    expect(page.status).toBe(200);
    expect(page.text.length).toBeLessThan(64 * 1024);
    const [letter] = (page.body as { entries: { truncated: boolean; error: string }[] }).entries;
    expect(letter).toMatchObject({ truncated: true, error: 'too big' });
    expect((await call(`/api/sinks/${SINK}/dlq?full=1`)).status).toBe(403);
    const full = await call(`/api/sinks/${SINK}/dlq?full=1`, { token: OPERATOR_TOKEN });
    expect(full.status).toBe(200);
    expect(full.text).toContain(huge);
    expect((full.body as { entries: { truncated: boolean }[] }).entries[0].truncated).toBe(false);
    await redis.del(keys.deadLetters(SINK));
  });
});

describe('admin API: 10 MB adversarial values in the DLQ and the tail', () => {
  // Long runs of [a-z0-9+.-] with URL-like pieces: the input that made the old redaction quadratic.
  const adversarial = 'postgres-a.b+c9'.repeat(700_000) + '://u:p@h/db?password=x';

  it('the DLQ answers with a preview for a viewer and the whole redacted value for an operator', async () => {
    const [event] = productEvents(1);
    await appendDeadLetter(
      redis,
      keys,
      SINK,
      1,
      { ...event, after: { ...event.after, body: adversarial } },
      adversarial,
    );
    const [page, live] = await Promise.all([call(`/api/sinks/${SINK}/dlq`), call('/health/live', { token: null })]);
    expect(live.status).toBe(200);
    expect(page.status).toBe(200);
    expect(page.text.length).toBeLessThan(64 * 1024);
    const full = await call(`/api/sinks/${SINK}/dlq?full=1`, { token: OPERATOR_TOKEN });
    expect(full.status).toBe(200);
    expect(full.text.length).toBeGreaterThan(adversarial.length);
    expect(full.text).not.toContain('password=x');
    await redis.del(keys.deadLetters(SINK));
  });

  it('the live tail cuts a 10 MB key to a preview', async () => {
    const response = await fetch(`${admin.url}/api/events/tail?sample=5`, {
      headers: { cookie: `distributary_token=${VIEWER_TOKEN}` },
      signal: AbortSignal.timeout(60_000),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let appended = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error('event stream ended');
        buffer += decoder.decode(value, { stream: true });
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (const block of blocks) {
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trim())
            .join('');
          if (!data) continue;
          // The first batch fixes the tail's start at the partitions' ends: append after it.
          if (!appended) {
            appended = true;
            const [event] = productEvents(1);
            await appendEvents(redis, keys, 2, [{ ...event, key: { id: adversarial } }]);
            continue;
          }
          const batch = JSON.parse(data) as { seen: number; events: { truncated?: boolean; key: unknown }[] };
          if (batch.seen === 0) continue;
          expect(data.length).toBeLessThan(64 * 1024);
          expect(batch.events[0].truncated).toBe(true);
          return;
        }
      }
    } finally {
      await reader.cancel();
    }
  });
});

describe('admin API: audit log of operator actions', () => {
  it('records who did what, when and with which outcome; viewers may read it, nobody may write it', async () => {
    await asOperator(`/api/sinks/${SINK}/pause`);
    await call(`/api/sinks/${SINK}/resume`, { method: 'POST', body: {} }); // a viewer: 403, recorded
    await asOperator(`/api/sinks/${SINK}/resume`);
    const page = (await call('/api/audit?limit=3')).body as {
      enabled: boolean;
      entries: { who: string; role: string; method: string; path: string; status: number; at: string }[];
    };
    expect(page.enabled).toBe(true);
    expect(page.entries.map((e) => [e.who, e.role, e.method, e.path, e.status])).toEqual([
      ['alice', 'operator', 'POST', `/api/sinks/${SINK}/resume`, 200],
      ['viewer#1', 'viewer', 'POST', `/api/sinks/${SINK}/resume`, 403],
      ['alice', 'operator', 'POST', `/api/sinks/${SINK}/pause`, 200],
    ]);
    expect(Date.now() - Date.parse(page.entries[0].at)).toBeGreaterThanOrEqual(0);
    expect((await asOperator('/api/audit')).status).toBe(404);
    expect((await call('/api/audit', { token: OPERATOR_TOKEN, method: 'DELETE' })).status).toBe(404);
  });
});

describe('admin API: wrong tokens are rate limited per address', () => {
  it('answers 429 with Retry-After once an address presented too many wrong tokens; missing tokens do not count', async () => {
    const ns = uniqueName('admsec_rl');
    const limited = await startAdmin(testConfig({ namespace: ns, pgUrl: db.url, redisUrl: redisUrl(), slot: ns }), {
      port: 0,
      dashboardDir: null,
      envTokens: '',
      tokenFailures: { max: 3, windowMs: 60_000 },
    });
    try {
      const at = (token: string | null, path = '/api/sinks') => callApi(limited.url, path, { token });
      for (let i = 0; i < 10; i++) expect((await at(null)).status).toBe(401);
      expect((await at(VIEWER_TOKEN)).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await at(`wrong-token-${i}`)).status).toBe(401);
      expect((await at('wrong-token-3')).status).toBe(401);
      const blocked = await at('wrong-token-4');
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await at(VIEWER_TOKEN)).status).toBe(429);
      expect((await at(VIEWER_TOKEN, '/api/openapi.json')).status).toBe(429);
      expect((await at(null, '/health/live')).status).toBe(200);
    } finally {
      await limited.close();
      await deleteNamespace(redis, ns);
    }
  });
});
