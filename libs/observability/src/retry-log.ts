export const RETRY_WARN_FROM_ATTEMPT = 3;
export const RETRY_WARN_AFTER_MS = 30_000;

export type RetryLogLevel = 'info' | 'warn';

/**
 * How loudly to log a retry. A failure that the next attempt or two get past is routine — one line at
 * info — and only a retry that keeps failing (the third attempt on, or half a minute of trying) warns.
 */
export function retryLogLevel(attempt: number, failingSinceMs?: number, now: number = Date.now()): RetryLogLevel {
  if (attempt >= RETRY_WARN_FROM_ATTEMPT) return 'warn';
  if (failingSinceMs !== undefined && now - failingSinceMs >= RETRY_WARN_AFTER_MS) return 'warn';
  return 'info';
}
