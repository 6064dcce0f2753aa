import { canonicalKey } from './codec';

/** FNV-1a, 32-bit: stable across processes and versions, cheap, well spread for short keys. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  const bytes = Buffer.from(text, 'utf8');
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** partition = hash(table, key) mod N — every event of one key lands in one partition, in order. */
export function partitionFor(table: string, key: Record<string, unknown>, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`partitions must be a positive integer`);
  return fnv1a32(canonicalKey(table, key)) % partitions;
}
