/**
 * The SSE `id` of a gateway stream: one log position (stream entry ID) per partition, written
 * `0:<entryId>,1:<entryId>,…` in partition order. A key lives in one partition, so per-key order is
 * the partition's order and no global merge is needed: resuming every partition after its own
 * position gives no gap and no duplicate. Parsing is one linear pass with strict validation and a
 * bounded length (the value comes from clients).
 */
import type { SourceSnapshot } from './visibility';

export type PositionVector = string[];

/**
 * A stream `id` is a position vector, optionally followed by `~<snapshot>`: the initial state's
 * source snapshot (`<wal lsn>:<xmin>:<xmax>:<xip,…>`, decimal). It rides along while log entries
 * visible in that snapshot (already in the client's rows) may still follow the vector, so a resume
 * from such an id skips them too (no duplicate). Dropped once every partition has passed its LSN.
 */
export interface ResumePoint {
  vector: PositionVector;
  snapshot: SourceSnapshot | undefined;
}

/** Snapshots with more in-progress transactions are not written into ids (the id stays short). */
export const MAX_ID_XIP = 64;
const MAX_XID_LENGTH = 20;

export const MAX_PARTITIONS = 1024;
/** `<uint64>-<uint64>`: at most 20 digits each. */
const MAX_ID_LENGTH = 41;

export class PositionVectorError extends Error {}

function isDecimal(text: string, maxLength: number): boolean {
  if (text.length < 1 || text.length > maxLength) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A `?after=` LSN (`16/B374D848`): strict, one pass over at most 17 characters. */
export function parseLsnParam(text: string): bigint {
  const slash = text.indexOf('/');
  if (text.length > 17 || slash < 1 || slash > 8 || text.length - slash - 1 < 1 || text.length - slash - 1 > 8)
    throw new PositionVectorError('after: expected an LSN like 16/B374D848');
  for (let i = 0; i < text.length; i++) {
    if (i === slash) continue;
    const c = text.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102)))
      throw new PositionVectorError('after: expected an LSN like 16/B374D848');
  }
  return (BigInt(`0x${text.slice(0, slash)}`) << 32n) | BigInt(`0x${text.slice(slash + 1)}`);
}

/** The id of a stream position: the vector, plus the snapshot while it still matters (see ResumePoint). */
export function formatResumeId(vector: PositionVector, snapshot: SourceSnapshot | undefined): string {
  const positions = formatPositions(vector);
  if (!snapshot || snapshot.xip.size > MAX_ID_XIP) return positions;
  return `${positions}~${snapshot.lsn}:${snapshot.xmin}:${snapshot.xmax}:${[...snapshot.xip].join(',')}`;
}

/** Parses a client's `Last-Event-ID`; throws PositionVectorError when malformed. */
export function parseResumeId(text: string, partitions: number): ResumePoint {
  const tilde = text.indexOf('~');
  if (tilde < 0) return { vector: parsePositions(text, partitions), snapshot: undefined };
  const vector = parsePositions(text.slice(0, tilde), partitions);
  const suffix = text.slice(tilde + 1);
  if (suffix.length > (MAX_ID_XIP + 3) * (MAX_XID_LENGTH + 1)) throw new PositionVectorError('snapshot too long');
  const parts = suffix.split(':');
  if (parts.length !== 4 || !parts.slice(0, 3).every((part) => isDecimal(part, MAX_XID_LENGTH)))
    throw new PositionVectorError('malformed snapshot in the position');
  const xip = parts[3] === '' ? [] : parts[3].split(',');
  if (xip.length > MAX_ID_XIP || !xip.every((xid) => isDecimal(xid, MAX_XID_LENGTH)))
    throw new PositionVectorError('malformed snapshot in the position');
  const [lsn, xmin, xmax] = parts.slice(0, 3).map((part) => BigInt(part));
  if (lsn >= 1n << 64n || xmin > xmax) throw new PositionVectorError('malformed snapshot in the position');
  return { vector, snapshot: { lsn, xmin, xmax, xip: new Set(xip.map((xid) => BigInt(xid))) } };
}

function isEntryId(text: string): boolean {
  if (text.length < 3 || text.length > MAX_ID_LENGTH) return false;
  const dash = text.indexOf('-');
  if (dash < 1 || dash > 20 || text.length - dash - 1 < 1 || text.length - dash - 1 > 20) return false;
  for (let i = 0; i < text.length; i++) {
    if (i === dash) continue;
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return BigInt(text.slice(0, dash)) < 1n << 64n && BigInt(text.slice(dash + 1)) < 1n << 64n;
}

export function formatPositions(vector: PositionVector): string {
  return vector.map((id, partition) => `${partition}:${id}`).join(',');
}

/** Parses a vector for a log of `partitions` partitions; throws PositionVectorError when malformed. */
export function parsePositions(text: string, partitions: number): PositionVector {
  if (text.length > partitions * (MAX_ID_LENGTH + 6)) throw new PositionVectorError('position too long');
  const parts = text.split(',');
  if (parts.length !== partitions)
    throw new PositionVectorError(`expected ${partitions} partition positions, found ${parts.length}`);
  return parts.map((part, partition) => {
    const colon = part.indexOf(':');
    if (colon < 0 || part.slice(0, colon) !== String(partition))
      throw new PositionVectorError(`expected "${partition}:<entry id>" at place ${partition}`);
    const id = part.slice(colon + 1);
    if (!isEntryId(id)) throw new PositionVectorError(`not a log entry ID at partition ${partition}`);
    return id;
  });
}
