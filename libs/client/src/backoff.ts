export interface BackoffOptions {
  /** First delay (default 250 ms). */
  initialMs?: number;
  /** Longest delay (default 10 s). */
  maxMs?: number;
}

/** Exponential backoff with full jitter: attempt n waits a random time up to min(max, initial·2^n). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 250;
  const max = options.maxMs ?? 10_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
