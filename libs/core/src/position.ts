import { type Lsn, formatLsn, parseLsn } from './lsn';

/**
 * A position in the change log: (commit LSN of the source transaction, sequence within it).
 * Its stream entry ID is `<lsn as uint64 decimal>-<seq>`, so Redis orders entries exactly as the
 * source committed them and refuses a re-append of an ID it already holds (idempotent append).
 * For one key commit LSNs only grow, so `lsn` doubles as the version every sink write is guarded by.
 */
export interface Position {
  lsn: Lsn;
  seq: number;
}

export const ZERO_POSITION: Position = { lsn: 0n, seq: 0 };
/** The stream ID that sorts before every entry ("read from the start"). */
export const START_ID = '0-0';

/**
 * The LSN for rows Distributary places AT a WAL end pointer: an incremental snapshot's chunk at its
 * high watermark (pgoutput sends a logical message's END LSN, which pg_logical_emit_message also
 * returns), the initial snapshot at the slot's consistent point (the end of the record that made it
 * consistent). The next WAL record starts exactly there, and when it is a COMMIT, that transaction's
 * events are `<commitLsn>-<seq>` = `<end>-0`, `<end>-1`, …: rows at the end pointer itself would share
 * their IDs, and whichever was appended second would be refused as "already in the log" — a lost
 * transaction. WAL records start MAXALIGNed (8 bytes), so no commit starts at end - 1: rows there sort
 * after every commit before the record and before every commit after it, and their version (the LSN)
 * stays below any later write of the same key.
 */
export function lsnJustBefore(walEnd: Lsn): Lsn {
  return walEnd > 0n ? walEnd - 1n : 0n;
}

export function positionToId(pos: Position): string {
  return `${pos.lsn.toString()}-${pos.seq}`;
}

export function idToPosition(id: string): Position {
  const match = /^(\d+)-(\d+)$/.exec(id);
  if (!match) throw new Error(`not a change-log entry ID: "${id}"`);
  return { lsn: BigInt(match[1]), seq: Number(match[2]) };
}

export function comparePositions(a: Position, b: Position): number {
  if (a.lsn !== b.lsn) return a.lsn < b.lsn ? -1 : 1;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

export function compareIds(a: string, b: string): number {
  return comparePositions(idToPosition(a), idToPosition(b));
}

export function maxId(a: string, b: string): string {
  return compareIds(a, b) >= 0 ? a : b;
}

export function positionFromLsnText(lsnText: string, seq = 0): Position {
  return { lsn: parseLsn(lsnText), seq };
}

export function describePosition(pos: Position): string {
  return `${formatLsn(pos.lsn)}#${pos.seq}`;
}
