export function seconds(fromMs: number, toMs = Date.now()): number {
  return (toMs - fromMs) / 1000;
}

export function perSecond(count: number, elapsedSeconds: number): number {
  return elapsedSeconds > 0 ? Math.round(count / elapsedSeconds) : 0;
}

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
