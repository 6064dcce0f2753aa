import { EventRejectedError, RetryableError, classifyError } from '@distributary/core';

/**
 * What a failure while applying one event means:
 * - reject: this event can never be written (it cannot be rendered, or Redis answered with a
 *   permanent error such as WRONGTYPE: the key holds another type) — dead-letter it, go on;
 * - retry:  the cache is unreachable or busy (connection refused or reset, timeouts, retries
 *   exhausted, cluster slots unavailable, LOADING, OOM...) — the whole batch is retried;
 * - bug:    a programming error (TypeError and friends) — surfaced as is, never retried or hidden.
 */
export type FailureKind = 'reject' | 'retry' | 'bug';

const PROGRAMMING_ERRORS = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError']);

/** Programming errors aside, the one classification every sink shares (classifyError in libs/core). */
export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof EventRejectedError) return 'reject';
  if (!(error instanceof Error)) return 'retry';
  if (PROGRAMMING_ERRORS.has(error.name)) return 'bug';
  return classifyError(error) === 'permanent' ? 'reject' : 'retry';
}

export function asRetryable(error: unknown, what: string): RetryableError {
  if (error instanceof RetryableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RetryableError(`cache Redis unavailable while ${what}: ${message}`, { cause: error });
}
