import { backoffDelay, sleep, type BackoffOptions } from '@distributary/core';

export interface RetryOptions {
  signal: AbortSignal;
  backoff?: BackoffOptions;
  /** Errors that must not be retried (rethrown at once). */
  isFatal?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  onRecovered?: (attempts: number) => void;
}

/** Thrown when a retry loop is given up because the task is stopping. */
export class RetryAborted extends Error {
  constructor(what: string) {
    super(`${what}: stopped while retrying`);
  }
}

/**
 * Runs `step` until it succeeds: exponential backoff with full jitter, forever, visibly (onRetry).
 * The first attempt always runs; stopping (the signal) abandons the retries, as does a fatal error.
 */
export async function retryForever<T>(what: string, step: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0 && options.signal.aborted) throw new RetryAborted(what);
    try {
      const value = await step();
      if (attempt > 0) options.onRecovered?.(attempt);
      return value;
    } catch (error) {
      if (options.isFatal?.(error)) throw error;
      const delay = backoffDelay(attempt, options.backoff);
      options.onRetry?.(error, attempt + 1, delay);
      await sleep(delay, options.signal);
    }
  }
}
