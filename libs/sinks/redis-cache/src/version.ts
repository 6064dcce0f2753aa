import type { Position } from '@distributary/core';

/**
 * The version every cache write is guarded by: the event's change-log position as 30 digits
 * (commit LSN zero-padded to 20 digits, then the in-transaction sequence zero-padded to 10).
 * Fixed width and digits only, so Lua's string comparison is exactly log order in any locale,
 * without the float precision loss a 64-bit LSN would suffer as a Lua number. The sequence makes
 * two changes of one key inside one transaction distinct versions.
 */
export const VERSION_LENGTH = 30;

export function versionOf(pos: Position): string {
  if (pos.lsn < 0n || pos.seq < 0) throw new Error(`negative position ${pos.lsn}-${pos.seq}`);
  const lsn = pos.lsn.toString();
  const seq = String(pos.seq);
  if (lsn.length > 20 || seq.length > 10) throw new Error(`position ${lsn}-${seq} out of range`);
  return lsn.padStart(20, '0') + seq.padStart(10, '0');
}

/** The position a stored version (optionally with a ":d" tombstone mark) stands for, as an entry ID. */
export function versionToId(version: string): string {
  const digits = version.slice(0, VERSION_LENGTH);
  return `${BigInt(digits.slice(0, 20)).toString()}-${Number(digits.slice(20))}`;
}
