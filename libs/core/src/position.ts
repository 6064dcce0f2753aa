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
