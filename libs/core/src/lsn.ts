/**
 * PostgreSQL LSNs ("16/B374D848") as unsigned 64-bit integers. The change log stores them as the
 * decimal first half of a stream entry ID, so they must round-trip exactly: bigint, never a float.
 */
export type Lsn = bigint;

export function parseLsn(text: string): Lsn {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!match) throw new Error(`not a PostgreSQL LSN: "${text}" (expected e.g. "16/B374D848")`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: Lsn): string {
  if (lsn < 0n || lsn > 0xffffffffffffffffn) throw new Error(`LSN out of range: ${lsn}`);
  const hi = (lsn >> 32n).toString(16).toUpperCase();
  const lo = (lsn & 0xffffffffn).toString(16).toUpperCase();
  return `${hi}/${lo}`;
}
