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
 *
 * The worker's one retry policy: every step of a partition (read position, apply, dead-letter, commit)
 * and opening a sink are retried here and nowhere below. A sink does not retry a write itself; it
 * classifies the failure (RetryableError or an error classifyError calls transient: retried here;
 * a permanent one: isolated and dead-lettered; FencedError: the task ends). So a failing target costs
 * one backoff schedule, one log line per attempt (retryLogLevel), one `retrying` state in the status,
 * and a graceful stop never waits behind a sink's own retries (see the Elasticsearch BulkWriter).
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
