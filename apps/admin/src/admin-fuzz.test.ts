import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdmin, type RunningAdmin } from './index';
import { closeAdminTestEnv, openAdminTestEnv, type AdminTestEnv } from './testing/admin-test-env';
import { OPERATOR_TOKEN, VIEWER_TOKEN } from './testing/pipeline-fixture';

/**
 * Fuzz of the admin API's inputs: random and adversarial query parameters, path segments, bodies and
 * content types, sent with viewer and operator tokens. Every answer must be a clean success or 4xx
 * (never 500, never a hang: each request is aborted after 10 s, which fails the property), and no
 * input may create anything in the source database.
 */
const SINK = 'product-cache';
let env: AdminTestEnv;
let admin: RunningAdmin;

const ADVERSARIAL = [
  '',
  ' ',
  '0',
  '-1',
  '1e3',
  '0x10',
  'NaN',
  '9'.repeat(40),
  '18446744073709551616-0',
  '1-0',
  '0-0',
  '+',
  '-',
  '(1-0',
  '%00',
  '../../etc/passwd',
  "'; DROP TABLE products; --",
  'id = -1; CREATE TABLE public.injected (x int); --',
  '<script>alert(1)</script>',
  '{"$gt":""}',
  'a'.repeat(5000),
  '\u0000\uffff',
  '0/0',
  'FFFFFFFF/FFFFFFFF',
  'start',
  'true',
  '1',
];
const text = fc.oneof(
  fc.constantFrom(...ADVERSARIAL),
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 16 }),
);

const GETS = [
  (v: Record<string, string>) => `/api/sinks/${SINK}/dlq?after=${v.a}&limit=${v.b}&full=${v.c}`,
  (v: Record<string, string>) => `/api/sinks/${v.a}/dlq?limit=${v.b}`,
  (v: Record<string, string>) => `/api/sinks/${v.a}`,
  (v: Record<string, string>) => `/api/sinks/${SINK}/wait?lsn=${v.a}&timeoutMs=${v.b}`,
  (v: Record<string, string>) => `/api/audit?before=${v.a}&limit=${v.b}`,
  (v: Record<string, string>) => `/api/sinks/${SINK}/dlq?after=${v.a}&after=${v.b}`,
];
const POSTS = [
  () => '/api/snapshots',
  (v: Record<string, string>) => `/api/snapshots/${v.a}/pause`,
  (v: Record<string, string>) => `/api/snapshots/${v.a}/cancel`,
  (v: Record<string, string>) => `/api/sinks/${v.a}/replay`,
  () => `/api/sinks/${SINK}/replay`,
  () => `/api/sinks/${SINK}/dlq/drop`,
  () => `/api/sinks/${SINK}/dlq/replay`,
  () => '/api/verify',
];

async function send(path: string, init: RequestInit): Promise<number> {
  const response = await fetch(admin.url + path, { ...init, signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response.status;
}

const clean = (status: number) => (status >= 200 && status < 300) || (status >= 400 && status < 500) || status === 501;

beforeAll(async () => {
  env = await openAdminTestEnv('admfuzz', { productsTable: true });
  admin = await startAdmin(env.config, { port: 0, dashboardDir: null, envTokens: '' });
});

afterAll(() => closeAdminTestEnv(env, admin));

describe('admin API fuzz: every input ends in a clean answer', () => {
  it('query parameters and path segments', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...GETS),
        fc.record({ a: text, b: text, c: text }),
        fc.constantFrom(VIEWER_TOKEN, OPERATOR_TOKEN),
        async (route, values, token) => {
          const encoded = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, encodeURIComponent(v)]));
          const status = await send(route(encoded), { headers: { authorization: `Bearer ${token}` } });
          return clean(status);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stream IDs at the ends of the ID space (found by this fuzz: before=0-0 was a 500)', async () => {
    const max = '18446744073709551615-18446744073709551615';
    const paths = [
      '/api/audit?before=0-0',
      '/api/audit?before=00-000&limit=5',
      `/api/sinks/${SINK}/dlq?after=${max}`,
      `/api/sinks/${SINK}/dlq?after=${max}&limit=1`,
    ];
    for (const path of paths)
      for (const token of [VIEWER_TOKEN, OPERATOR_TOKEN])
        expect(await send(path, { headers: { authorization: `Bearer ${token}` } }), path).toBe(200);
  });

  it('bodies and content types on state-changing routes', async () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc
        .record({
          tables: fc.oneof(fc.array(text, { maxLength: 3 }), text),
          where: text,
        })
        .map((v) => JSON.stringify(v)),
      fc.record({ ids: fc.array(text, { maxLength: 4 }) }).map((v) => JSON.stringify(v)),
      fc.record({ from: text }).map((v) => JSON.stringify(v)),
      fc
        .record({ sinks: fc.array(text, { maxLength: 2 }), mode: text, sampleSize: fc.integer() })
        .map((v) => JSON.stringify(v)),
      text,
    );
    const type = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/json; charset=latin1',
      undefined,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POSTS),
        fc.record({ a: text }),
        body,
        type,
        fc.constantFrom(VIEWER_TOKEN, OPERATOR_TOKEN),
        async (route, values, payload, contentType, token) => {
          const headers: Record<string, string> = { authorization: `Bearer ${token}` };
          if (contentType) headers['content-type'] = contentType;
          const path = route({ a: encodeURIComponent(values.a) });
          const status = await send(path, { method: 'POST', headers, body: payload });
          return clean(status);
        },
      ),
      { numRuns: 300 },
    );
    expect((await env.db.sql(`SELECT 1 FROM pg_class WHERE relname = 'injected'`)).length).toBe(0);
  });
});
