import { describe, expect, it } from 'vitest';
import { judgeSlot } from './slot-health';
import { classifySlotError } from './slot-errors';

// judgeSlot over the row shapes PostgreSQL 15, 16 and 17 return (columns a version lacks are absent).
const row = (slot: Record<string, unknown> | null, retained: string | null, maxKeep = String(64 * 2 ** 20)) => ({
  slot,
  current_lsn: '0/5000000',
  retained,
  max_keep: maxKeep,
  current_db: 'db',
});
const base = { slot_name: 's', plugin: 'pgoutput', database: 'db', active: true, active_pid: 42 };
const at = '2026-01-01T00:00:00Z';

describe('slot health', () => {
  it('ok below the warning fraction, warning past it and when unreserved', () => {
    expect(judgeSlot('s', row({ ...base, wal_status: 'reserved' }, '1000'), 0.5, null, at)).toMatchObject({
      state: 'ok',
      warnBytes: String(32 * 2 ** 20),
      activePid: 42,
    });
    const past = judgeSlot('s', row({ ...base, wal_status: 'extended' }, String(40 * 2 ** 20)), 0.5, null, at);
    expect(past.state).toBe('warning');
    expect(past.reason).toContain('passed 50 % of max_slot_wal_keep_size');
    expect(judgeSlot('s', row({ ...base, wal_status: 'unreserved' }, '1'), 0.5, null, at)).toMatchObject({
      state: 'warning',
    });
  });

  it('lost on wal_status lost (15+), conflicting (16+) or an invalidation_reason (17+), with the reason', () => {
    const lost = judgeSlot('s', row({ ...base, wal_status: 'lost', confirmed_flush_lsn: '0/10' }, null), 0.5, null, at);
    expect(lost).toMatchObject({ state: 'lost', confirmedFlushLsn: '0/10' });
    expect(lost.reason).toContain("wal_status 'lost'");
    expect(judgeSlot('s', row({ ...base, wal_status: 'reserved', conflicting: true }, '1'), 0.5, null, at).state).toBe(
      'lost',
    );
    const pg17 = judgeSlot(
      's',
      row({ ...base, wal_status: 'lost', invalidation_reason: 'wal_removed' }, null),
      0.5,
      null,
      at,
    );
    expect(pg17.reason).toContain("invalidation_reason 'wal_removed'");
  });

  it('missing without a row; unlimited keep size compares with free disk when known', () => {
    expect(judgeSlot('s', row(null, null), 0.5, null, at)).toMatchObject({ state: 'missing', exists: false });
    const unlimited = judgeSlot('s', row({ ...base, wal_status: 'reserved' }, '1200', '-1'), 0.5, 1000n, at);
    // the limit is what WAL could still grow into: free disk plus what the slot already retains
    expect(unlimited).toMatchObject({ state: 'warning', warnBytes: '1100' });
    expect(judgeSlot('s', row({ ...base, wal_status: 'reserved' }, '600', '-1'), 0.5, null, at)).toMatchObject({
      state: 'ok',
      warnBytes: null,
    });
  });

  it('classifies the permanent replication errors PostgreSQL sends', () => {
    const pg = (message: string, code: string, detail?: string) => Object.assign(new Error(message), { code, detail });
    expect(
      classifySlotError(
        pg(
          'cannot read from logical replication slot "s"',
          '55000',
          'This slot has been invalidated because it exceeded the maximum reserved size.',
        ),
      ),
    ).toBe('lost');
    expect(classifySlotError(pg('replication slot "s" does not exist', '42704'))).toBe('dropped');
    expect(classifySlotError(pg('publication "p" does not exist', '42704'))).toBe('publication-missing');
    expect(classifySlotError(pg('Connection terminated unexpectedly', ''))).toBeNull();
  });
});
