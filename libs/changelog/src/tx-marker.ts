import { formatLsn, type Lsn, type TxMarker } from '@distributary/core';

/**
 * Transaction markers on the transactions stream. IDs are `<commitLsn>-0` (begin) and
 * `<commitLsn>-1` (commit), so a replayed transaction re-appends the same IDs (idempotent).
 */
export function txMarkerId(commitLsn: Lsn, kind: TxMarker['kind']): string {
  return `${commitLsn.toString()}-${kind === 'begin' ? 0 : 1}`;
}

export function encodeTxMarker(
  commitLsn: Lsn,
  marker: Omit<TxMarker, 'commitLsn'>,
): { id: string; fields: Record<string, string> } {
  const full: TxMarker = { ...marker, commitLsn: formatLsn(commitLsn) };
  return { id: txMarkerId(commitLsn, marker.kind), fields: { t: marker.kind, e: JSON.stringify(full) } };
}

export function decodeTxMarker(fields: Record<string, string>): TxMarker {
  return JSON.parse(fields.e) as TxMarker;
}
