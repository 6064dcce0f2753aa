/**
 * The SSE `id` of a gateway stream: one log position (stream entry ID) per partition, written
 * `0:<entryId>,1:<entryId>,…` in partition order. A key lives in one partition, so per-key order is
 * the partition's order and no global merge is needed: resuming every partition after its own
 * position gives no gap and no duplicate. Parsing is one linear pass with strict validation and a
 * bounded length (the value comes from clients).
 */

export type PositionVector = string[];

export const MAX_PARTITIONS = 1024;
/** `<uint64>-<uint64>`: at most 20 digits each. */
const MAX_ID_LENGTH = 41;

export class PositionVectorError extends Error {}

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
