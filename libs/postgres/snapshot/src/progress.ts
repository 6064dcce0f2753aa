/** Rows done / estimated total, rows/s and ETA — what the CLI bar, metrics and the admin API show. */
export interface SnapshotProgress {
  rowsDone: number;
  estimatedTotal: number;
  rowsPerSecond: number;
  etaSeconds: number | null;
}

export function computeProgress(
  rowsDone: number,
  estimatedTotal: number,
  startedAtMs: number,
  nowMs = Date.now(),
): SnapshotProgress {
  const elapsed = Math.max(0.001, (nowMs - startedAtMs) / 1000);
  const rate = rowsDone / elapsed;
  const total = Math.max(estimatedTotal, rowsDone);
  return {
    rowsDone,
    estimatedTotal: total,
    rowsPerSecond: Math.round(rate),
    etaSeconds: rate > 0 ? Math.round((total - rowsDone) / rate) : null,
  };
}
