import { describe, expect, it } from 'vitest';
import { sourceLag, type SourceLagInput } from './source-lag';

const now = Date.parse('2026-01-01T00:00:30Z');
const healthy: SourceLagInput = {
  sourceLsn: '0/2000',
  connectorConfirmedLsn: '0/1F00',
  throughTs: '2026-01-01T00:00:28Z',
  connectorUpdatedAt: '2026-01-01T00:00:29Z',
  slot: { state: 'ok', active: true, exists: true },
  partitions: [{ committedId: '7936-0', unapplied: 0, oldestUnappliedSeconds: null }],
  resolutionMs: 15_000,
  now,
};

describe('lag against the source', () => {
  it('is caught up only when the slot streams, the connector is fresh and the sink applied every entry', () => {
    expect(sourceLag(healthy)).toMatchObject({ caughtUp: true, seconds: 0, bytes: String(0x100) });
  });

  it('is never zero while the slot is lost, unread or missing, and counts bytes from the source position', () => {
    for (const [slot, why] of [
      [{ state: 'lost', active: false, exists: true }, 'the replication slot is lost'],
      [{ state: 'ok', active: false, exists: true }, 'nothing is reading the replication slot'],
      [{ state: 'missing', active: false, exists: false }, 'the replication slot does not exist'],
    ] as const) {
      const lag = sourceLag({ ...healthy, slot, sourceLsn: '1/0' });
      expect(lag).toMatchObject({ caughtUp: false, why });
      expect(BigInt(lag.bytes)).toBe(0x1_0000_0000n - 0x1f00n);
      expect(lag.seconds).toBe(2);
    }
  });

  it('counts from the oldest partition the sink has not applied, and its age', () => {
    const lag = sourceLag({
      ...healthy,
      partitions: [
        { committedId: '256-3', unapplied: 4, oldestUnappliedSeconds: 12 },
        { committedId: null, unapplied: 0, oldestUnappliedSeconds: null },
      ],
    });
    expect(lag).toMatchObject({ caughtUp: false, appliedLsn: '0/100', bytes: String(0x2000 - 0x100), seconds: 12 });
    expect(lag.why).toBe('4 log entries not applied yet');
  });

  it('is not caught up when the connector status is stale or its heartbeats lag', () => {
    expect(sourceLag({ ...healthy, connectorUpdatedAt: '2025-12-31T23:59:00Z' }).why).toBe(
      'the connector status is stale',
    );
    expect(sourceLag({ ...healthy, throughTs: '2026-01-01T00:00:00Z' })).toMatchObject({
      caughtUp: false,
      seconds: 30,
      why: 'the connector is behind the source',
    });
  });
});
