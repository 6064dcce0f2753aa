import { describe, expect, it } from 'vitest';
import { invisibilityTest, parseSnapshotVisibility } from './snapshot-visibility';
import { Client } from 'pg';
import { createTestDatabase } from '@distributary/testkit';

describe('snapshot visibility', () => {
  it('parses pg_current_snapshot() and tells which committed xids the snapshot did not see', () => {
    const snapshot = parseSnapshotVisibility('100:110:102,105');
    expect(snapshot).toEqual({ xmin: 100n, xmax: 110n, inProgress: new Set([102n, 105n]) });
    const invisible = invisibilityTest(snapshot);
    expect([99, 100, 101, 102, 104, 105, 109, 110, 4000].map(invisible)).toEqual([
      false,
      false,
      false,
      true,
      false,
      true,
      false,
      true,
      true,
    ]);
    expect(() => parseSnapshotVisibility('1:2')).toThrow(/unexpected text/);
    expect(() => parseSnapshotVisibility('1:x:')).toThrow(/not an xid/);
  });

  it('places 32-bit xids next to a 64-bit xmin across the wraparound of the low 32 bits', () => {
    const epoch = 3n << 32n;
    const invisible = invisibilityTest(parseSnapshotVisibility(`${epoch - 5n}:${epoch + 3n}:${epoch + 1n}`));
    expect(invisible(0xffff_fff0)).toBe(false); // epoch - 16: older than xmin
    expect(invisible(0xffff_fffe)).toBe(false); // epoch - 2: finished before the snapshot
    expect(invisible(1)).toBe(true); // epoch + 1: in progress
    expect(invisible(2)).toBe(false); // epoch + 2: finished
    expect(invisible(3)).toBe(true); // epoch + 3 = xmax
  });

  it("reads the real server's snapshot: its own open transaction's xid is invisible to another's snapshot", async () => {
    const db = await createTestDatabase('snapvis');
    const writer = new Client({ connectionString: db.url });
    const reader = new Client({ connectionString: db.url });
    await writer.connect();
    await reader.connect();
    try {
      await db.sql('CREATE TABLE t (id int)');
      await writer.query('BEGIN');
      await writer.query('INSERT INTO t VALUES (1)');
      const xid = Number((await writer.query<{ xid: string }>('SELECT txid_current()::text AS xid')).rows[0].xid);
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const text = (await reader.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s')).rows[0].s;
      await writer.query('COMMIT');
      const invisible = invisibilityTest(parseSnapshotVisibility(text));
      expect(invisible(xid % 2 ** 32)).toBe(true);
      expect((await reader.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(0);
      await reader.query('COMMIT');
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const later = (await reader.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s')).rows[0].s;
      expect(invisibilityTest(parseSnapshotVisibility(later))(xid % 2 ** 32)).toBe(false);
      await reader.query('COMMIT');
    } finally {
      await writer.end();
      await reader.end();
      await db.drop();
    }
  });
});
