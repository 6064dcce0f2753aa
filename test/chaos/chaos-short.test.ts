import { describe, expect, it } from 'vitest';
import { runChaos } from './chaos-run';

// The short fault-injection run (a few kills, every kind of fault, about a minute). The full run is
// `npm run chaos`.
describe('chaos (short)', () => {
  it('loses nothing and diverges nowhere under kill -9, a log Redis restart, an ES outage and a PostgreSQL restart', async () => {
    const lines: string[] = [];
    const result = await runChaos({
      durationMs: 45_000,
      kills: 5,
      esOutageMs: 8_000,
      workers: 2,
      transactionsPerSecond: 15,
      largeTransactionRows: 2_000,
      drainTimeoutMs: 45_000,
      log: (line) => lines.push(line),
    });
    const context = `${result.summary} seed=${result.seed}\n${lines.join('\n')}\n${JSON.stringify(
      { checks: result.checks, traces: result.traces, crashes: result.crashes, drainError: result.drainError },
      null,
      1,
    ).slice(0, 9000)}`;
    expect(result.changes, context).toBeGreaterThan(100);
    expect(result.kills, context).toBe(5);
    expect(result.restarts, context).toBe(3);
    expect(result.largeTransactionCommitted, context).toBe(true);
    expect(result.drainError, context).toBeUndefined();
    expect(
      result.checks.every((c) => c.report.expectedCount > 0),
      context,
    ).toBe(true);
    expect(result.lost, context).toBe(0);
    expect(result.divergent, context).toBe(0);
  }, 150_000);
});
