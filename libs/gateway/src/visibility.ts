const TWO_32 = 1n << 32n;
const TWO_31 = 1n << 31n;

export interface SourceSnapshot {
  xmin: bigint;
  xmax: bigint;
  xip: Set<bigint>;
  /** pg_current_wal_insert_lsn() read in the same statement, as a number. */
  lsn: bigint;
}

function xid8(text: string): bigint {
  if (text.length === 0 || text.length > 20) throw new Error(`not a transaction id: ${text}`);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) throw new Error(`not a transaction id: ${text}`);
  }
  return BigInt(text);
}

/** A snapshot from `pg_current_snapshot()::text` and the WAL position read with it. */
export function parseSnapshot(text: string, lsn: bigint): SourceSnapshot {
  const parts = text.split(':');
  if (parts.length !== 3) throw new Error(`not a pg_snapshot: ${text}`);
  const xip = new Set(parts[2] === '' ? [] : parts[2].split(',').map(xid8));
  return { xmin: xid8(parts[0]), xmax: xid8(parts[1]), xip, lsn };
}

/** The xid8 of a 32-bit xid: the value with those low 32 bits nearest to the snapshot's xmax. */
export function widenXid(xid: number, snapshot: SourceSnapshot): bigint {
  let full = (snapshot.xmax & ~(TWO_32 - 1n)) | BigInt(xid >>> 0);
  if (full > snapshot.xmax + TWO_31) full -= TWO_32;
  else if (full + TWO_31 < snapshot.xmax) full += TWO_32;
  return full;
}

/**
 * Whether a snapshot (parseSnapshot: `pg_current_snapshot()::text`, `xmin:xmax:xip,…`, 64-bit
 * xid8 values) sees a source transaction. A transaction is visible when it committed before the
 * snapshot: xid < xmin, or xid < xmax and not in the in-progress list. Change events carry the
 * 32-bit xid pgoutput sends; it is widened to 64 bits as the xid8 nearest to xmax (modulo 2^32,
 * within ±2^31), which is exact for every transaction that committed within 2^31 xids of the
 * snapshot — any event the gateway compares with it.
 */
export function xidVisible(xid: number, snapshot: SourceSnapshot): boolean {
  const full = widenXid(xid, snapshot);
  if (full < snapshot.xmin) return true;
  return full < snapshot.xmax && !snapshot.xip.has(full);
}
