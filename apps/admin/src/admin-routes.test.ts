import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdmin, type RunningAdmin } from './index';
import { closeAdminTestEnv, openAdminTestEnv, type AdminTestEnv } from './testing/admin-test-env';
import { callApi, type CallOptions } from './testing/http-client';
import { OPERATOR_TOKEN, VIEWER_TOKEN } from './testing/pipeline-fixture';

/**
 * Every route of the admin API with the role it needs, probed with no token, a viewer token and an
 * operator token. The table must list every route the OpenAPI document publishes, so a new route
 * cannot ship without a decision about who may call it.
 */
type Role = 'public' | 'viewer' | 'operator';
interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** As in the OpenAPI document ('' for routes outside it). */
  openapi: string;
  probe: string;
  role: Role;
  body?: unknown;
}

const SINK = 'product-cache';
const ROUTES: Route[] = [
  { method: 'GET', openapi: '', probe: '/health/live', role: 'public' },
  { method: 'GET', openapi: '', probe: '/health/ready', role: 'public' },
  { method: 'GET', openapi: '', probe: '/metrics', role: 'public' },
  { method: 'GET', openapi: '', probe: '/api/docs', role: 'viewer' },
  { method: 'GET', openapi: '', probe: '/api/openapi.json', role: 'viewer' },
  { method: 'GET', openapi: '/api/session', probe: '/api/session', role: 'viewer' },
  { method: 'GET', openapi: '/api/overview', probe: '/api/overview', role: 'viewer' },
  { method: 'GET', openapi: '/api/source', probe: '/api/source', role: 'viewer' },
  { method: 'GET', openapi: '/api/workers', probe: '/api/workers', role: 'viewer' },
  { method: 'GET', openapi: '/api/gateways', probe: '/api/gateways', role: 'viewer' },
  { method: 'GET', openapi: '/api/log/partitions', probe: '/api/log/partitions', role: 'viewer' },
  { method: 'GET', openapi: '/api/config', probe: '/api/config', role: 'viewer' },
  { method: 'GET', openapi: '/api/metrics/history', probe: '/api/metrics/history', role: 'viewer' },
  { method: 'GET', openapi: '/api/audit', probe: '/api/audit', role: 'viewer' },
  { method: 'GET', openapi: '/api/sinks', probe: '/api/sinks', role: 'viewer' },
  { method: 'GET', openapi: '/api/sinks/{name}', probe: `/api/sinks/${SINK}`, role: 'viewer' },
  {
    method: 'GET',
    openapi: '/api/sinks/{name}/wait',
    probe: `/api/sinks/${SINK}/wait?lsn=0/0&timeoutMs=0`,
    role: 'viewer',
  },
  { method: 'GET', openapi: '/api/sinks/{name}/dlq', probe: `/api/sinks/${SINK}/dlq`, role: 'viewer' },
  { method: 'GET', openapi: '/api/compaction', probe: '/api/compaction', role: 'viewer' },
  { method: 'GET', openapi: '/api/snapshots', probe: '/api/snapshots', role: 'viewer' },
  { method: 'GET', openapi: '/api/verify', probe: '/api/verify', role: 'viewer' },
  { method: 'GET', openapi: '/api/events/metrics', probe: '/api/events/metrics', role: 'viewer' },
  { method: 'GET', openapi: '/api/events/tail', probe: '/api/events/tail', role: 'viewer' },
  { method: 'POST', openapi: '/api/sinks/{name}/pause', probe: `/api/sinks/${SINK}/pause`, role: 'operator' },
  { method: 'POST', openapi: '/api/sinks/{name}/resume', probe: `/api/sinks/${SINK}/resume`, role: 'operator' },
  {
    method: 'POST',
    openapi: '/api/sinks/{name}/replay',
    probe: `/api/sinks/${SINK}/replay`,
    role: 'operator',
    body: { from: 'start' },
  },
  {
    method: 'POST',
    openapi: '/api/sinks/{name}/dlq/replay',
    probe: `/api/sinks/${SINK}/dlq/replay`,
    role: 'operator',
    body: { ids: [] },
  },
  {
    method: 'POST',
    openapi: '/api/sinks/{name}/dlq/drop',
    probe: `/api/sinks/${SINK}/dlq/drop`,
    role: 'operator',
    body: { ids: [] },
  },
  { method: 'DELETE', openapi: '/api/sinks/{name}/dlq/{id}', probe: `/api/sinks/${SINK}/dlq/1-0`, role: 'operator' },
  { method: 'POST', openapi: '/api/compaction/run', probe: '/api/compaction/run', role: 'operator' },
  {
    method: 'POST',
    openapi: '/api/snapshots',
    probe: '/api/snapshots',
    role: 'operator',
    body: { tables: ['public.products'], where: 'id < 0' },
  },
  { method: 'POST', openapi: '/api/snapshots/{id}/pause', probe: '/api/snapshots/initial/pause', role: 'operator' },
  { method: 'POST', openapi: '/api/snapshots/{id}/resume', probe: '/api/snapshots/initial/resume', role: 'operator' },
  { method: 'POST', openapi: '/api/snapshots/{id}/cancel', probe: '/api/snapshots/initial/cancel', role: 'operator' },
  {
    method: 'POST',
    openapi: '/api/verify',
    probe: '/api/verify',
    role: 'operator',
    body: { sinks: [SINK], mode: 'sample', sampleSize: 1 },
  },
];

let env: AdminTestEnv;
let admin: RunningAdmin;

const call = (path: string, options: CallOptions = {}) => callApi(admin.url, path, options);
const probe = (route: Route, token: string | null) =>
  call(route.probe, { token, method: route.method, body: route.body ?? (route.method === 'GET' ? undefined : {}) });

beforeAll(async () => {
  env = await openAdminTestEnv('admroute', { productsTable: true });
  admin = await startAdmin(env.config, { port: 0, dashboardDir: null, envTokens: '' });
});

afterAll(() => closeAdminTestEnv(env, admin));

describe('admin API: every route, the role it needs, probed with no token, a viewer and an operator', () => {
  it('the table lists every route of the OpenAPI document', async () => {
    const doc = (await call('/api/openapi.json', { token: VIEWER_TOKEN })).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const published = Object.entries(doc.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const listed = ROUTES.filter((r) => r.openapi).map((r) => `${r.method} ${r.openapi}`);
    expect(published).toEqual([...new Set(listed)].sort());
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.probe}`, r] as const))('%s', async (_name, route) => {
    const none = await probe(route, null);
    const viewer = await probe(route, VIEWER_TOKEN);
    const operator = await probe(route, OPERATOR_TOKEN);
    if (route.role === 'public') {
      expect(none.status).toBe(200);
    } else {
      expect(none.status).toBe(401);
      expect(viewer.status).toBe(route.role === 'viewer' ? viewer.status : 403);
      if (route.role === 'viewer') expect([401, 403]).not.toContain(viewer.status);
    }
    expect([401, 403]).not.toContain(operator.status);
    // Never an internal error, whoever asks (501 = the operation needs a sink running in this process).
    for (const answer of [none, viewer, operator]) expect(answer.status).not.toBe(500);
    if (route.role !== 'operator') expect(viewer.status).toBeLessThan(400);
  });

  it('authentication does not depend on the spelling of the path', async () => {
    for (const path of ['/API/config', '/Api/Sinks', '/api//config', '/api/config/', '/API/EVENTS/METRICS']) {
      const answer = await call(path, { token: null });
      expect([401, 404], path).toContain(answer.status);
    }
    const upper = await call(`/API/SINKS/${SINK}/PAUSE`, { token: VIEWER_TOKEN, method: 'POST', body: {} });
    expect([403, 404]).toContain(upper.status);
  });

  it('the cookie counts only for server-sent events and the docs, never for other routes or changes', async () => {
    const cookie = `distributary_token=${OPERATOR_TOKEN}`;
    expect((await call('/api/events/metrics', { cookie })).status).toBe(200);
    expect((await call('/api/openapi.json', { cookie })).status).toBe(200);
    expect((await call('/api/docs', { cookie })).status).toBe(200);
    for (const route of ROUTES.filter((r) => r.role !== 'public' && !r.probe.startsWith('/api/events/'))) {
      if (route.probe.startsWith('/api/docs') || route.probe === '/api/openapi.json') continue;
      const answer = await call(route.probe, { cookie, method: route.method, body: route.body });
      expect(answer.status, `${route.method} ${route.probe}`).toBe(401);
    }
  });
});
