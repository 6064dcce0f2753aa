/**
 * Which transactions a REPEATABLE READ snapshot sees, from `pg_current_snapshot()` (`xmin:xmax:xip,…`,
 * 64-bit xids). A committed transaction is invisible to it when its xid is at or above `xmax`, or in
 * the in-progress list `xip`; every xid below `xmin` had finished when it was taken.
 */
export interface SnapshotVisibility {
  xmin: bigint;
  xmax: bigint;
  inProgress: ReadonlySet<bigint>;
}

/** The SQL that reads it inside the snapshot's own transaction (a REPEATABLE READ transaction's snapshot). */
export const CURRENT_SNAPSHOT_SQL = 'SELECT pg_current_snapshot()::text AS snapshot';

const DIGITS = /^\d{1,20}$/;

function xid8(text: string, what: string): bigint {
  if (!DIGITS.test(text)) throw new Error(`pg_current_snapshot(): ${what} is not an xid: ${JSON.stringify(text)}`);
  return BigInt(text);
}

/** Parses the text form of pg_snapshot (linear; the server's output, but still checked). */
export function parseSnapshotVisibility(text: string): SnapshotVisibility {
  const parts = text.split(':');
  if (parts.length !== 3) throw new Error(`pg_current_snapshot(): unexpected text ${JSON.stringify(text)}`);
  const xmin = xid8(parts[0], 'xmin');
  const xmax = xid8(parts[1], 'xmax');
  const inProgress = new Set<bigint>();
  if (parts[2] !== '') for (const xid of parts[2].split(',')) inProgress.add(xid8(xid, 'an xip entry'));
  return { xmin, xmax, inProgress };
}

/**
 * A test for COMMITTED transactions by their 32-bit xid (as pgoutput sends it): true when the snapshot
 * did not see the transaction. The xid is placed next to xmin in the 64-bit space: a running or
 * just-committed transaction is never more than 2^31 xids away from it (PostgreSQL's own wraparound
 * rule), and anything "before" xmin had finished when the snapshot was taken.
 */
export function invisibilityTest(snapshot: SnapshotVisibility): (xid: number) => boolean {
  const xminLow = Number(snapshot.xmin & 0xffff_ffffn);
  const xmaxAhead = Number(snapshot.xmax - snapshot.xmin);
  const inProgressAhead = new Set<number>();
  for (const xid of snapshot.inProgress) inProgressAhead.add(Number(xid - snapshot.xmin));
  return (xid) => {
    const ahead = (xid - xminLow) >>> 0; // distance above xmin, modulo 2^32
    if (ahead >= 0x8000_0000) return false; // older than xmin: visible
    return ahead >= xmaxAhead || inProgressAhead.has(ahead);
  };
}
