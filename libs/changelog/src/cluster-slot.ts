import type { Cluster } from 'ioredis';

/**
 * The Redis Cluster hash slot of a key: CRC16 (XMODEM) of the key, or of its `{hash tag}` when it has a
 * non-empty one, mod 16384 — as the Redis Cluster specification defines it. Used to send one pipeline
 * per node (the node that serves the slot) with all the node's streams in it.
 */
const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  TABLE[i] = crc;
}

export function clusterSlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(key, 'utf8')) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff];
  return crc % 16384;
}

/** Bound on one slot-map refresh (ioredis tries the nodes one by one, each within its own timeout). */
const REFRESH_BOUND_MS = 5000;

/**
 * Re-reads the cluster's slot → node map (CLUSTER SLOTS) into the client; resolves when done, failed
 * (the next MOVED refreshes again) or after REFRESH_BOUND_MS.
 */
export function refreshSlotMap(cluster: Cluster): Promise<void> {
  return new Promise((resolve) => {
    const bound = setTimeout(resolve, REFRESH_BOUND_MS);
    cluster.refreshSlotsCache(() => {
      clearTimeout(bound);
      resolve();
    });
  });
}
