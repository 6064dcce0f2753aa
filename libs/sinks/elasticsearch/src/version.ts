import type { Lsn } from '@distributary/core';

/**
 * Elasticsearch external versions are JSON numbers; our version is the commit LSN (a uint64). A JS
 * number is exact only up to 2^53 - 1, i.e. LSN 1FFFFF/FFFFFFFF (8 PiB of WAL): far beyond any real
 * server, but we refuse loudly rather than write a rounded version that could order writes wrongly.
 */
const MAX_VERSION = BigInt(Number.MAX_SAFE_INTEGER); // made once, not per event

export function versionOf(lsn: Lsn): number {
  if (lsn < 0n || lsn > MAX_VERSION) {
    throw new Error(
      `commit LSN ${lsn} does not fit an exact Elasticsearch external version (max 2^53-1); refusing to write`,
    );
  }
  return Number(lsn);
}
