/**
 * Redis refuses an exclusive range bound that has nothing beyond it: `XRANGE k (<max> +` ("invalid
 * start ID") and `XREVRANGE k (0-0 -` ("invalid end ID"). A page after the largest entry ID, or
 * before the smallest, is empty; these say so before a caller's ID reaches Redis. IDs must already be
 * valid stream IDs (`<ms>-<seq>`, each at most 2^64 - 1; leading zeros allowed, as Redis allows them).
 */
const MAX_U64 = (1n << 64n) - 1n;

function parts(id: string): [bigint, bigint] {
  const dash = id.indexOf('-');
  return dash < 0 ? [BigInt(id), 0n] : [BigInt(id.slice(0, dash)), BigInt(id.slice(dash + 1))];
}

/** True when nothing can come after `id` (both parts at 2^64 - 1): an exclusive start there is empty. */
export function nothingAfterStreamId(id: string): boolean {
  const [ms, seq] = parts(id);
  return ms === MAX_U64 && seq === MAX_U64;
}

/** True when nothing can come before `id` (0-0): an exclusive end there is empty. */
export function nothingBeforeStreamId(id: string): boolean {
  const [ms, seq] = parts(id);
  return ms === 0n && seq === 0n;
}
