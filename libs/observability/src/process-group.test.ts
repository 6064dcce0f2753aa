import { afterEach, describe, expect, it } from 'vitest';
import { health } from './health';
import { counter } from './metrics';
import { leaveProcessGroup, metricsText, ownTelemetry, setProcessGroup, type ProcessTelemetry } from './process-group';

afterEach(() => {
  leaveProcessGroup();
  health.unregister('group-test-local');
});

/** A sibling process's telemetry, as its role host would answer it. */
async function peer(role: string, checks: ProcessTelemetry['health']): Promise<ProcessTelemetry> {
  const own = await ownTelemetry(role);
  return { ...own, role, pid: own.pid + 1, health: checks };
}

describe('process group', () => {
  it('without a group, /metrics is this process registry alone', async () => {
    counter('distributary_group_test_total', 'a test counter').inc(2);
    const text = await metricsText();
    expect(text).toContain('distributary_group_test_total 2');
    expect(text).not.toContain('role=');
  });

  it('in a group, /metrics holds every process series labelled with its role', async () => {
    counter('distributary_group_test_total', 'a test counter').inc(1);
    const worker = await peer('worker', {});
    setProcessGroup('admin', () => Promise.resolve([worker]));
    const text = await metricsText();
    expect(text).toContain('distributary_group_test_total{role="admin"} 3');
    expect(text).toContain('distributary_group_test_total{role="worker"} 3');
    expect(text).toContain('distributary_process_process_resident_memory_bytes{role="worker"}');
  });

  it('in a group, readiness merges the checks of every process: a failing one fails, a degraded one degrades', async () => {
    health.register('group-test-local', () => Promise.resolve());
    const siblings: ProcessTelemetry[] = [await peer('worker', { 'sink-worker:w1': { ok: true } })];
    setProcessGroup('admin', () => Promise.resolve(siblings));
    let report = await health.report();
    expect(report.status).toBe('ok');
    expect(Object.keys(report.checks)).toEqual(expect.arrayContaining(['group-test-local', 'sink-worker:w1']));

    siblings[0] = await peer('worker', { 'sink-worker:w1': { ok: false, degraded: true, error: 'retrying' } });
    report = await health.report();
    expect(report.status).toBe('degraded');

    siblings.push(await peer('connector', { 'sink-worker:w1': { ok: false, error: 'down' } }));
    report = await health.report();
    expect(report.status).toBe('failing');
    expect(report.checks['connector/sink-worker:w1']).toEqual({ ok: false, error: 'down' });
  });

  it('a group whose siblings do not answer is failing, not hanging', async () => {
    setProcessGroup('admin', () => Promise.reject(new Error('the supervisor is gone')));
    const report = await health.report(200);
    expect(report.status).toBe('failing');
    expect(report.checks.peers).toEqual({ ok: false, error: 'the supervisor is gone' });
  });
});
