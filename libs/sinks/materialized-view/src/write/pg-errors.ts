import { RetryableError } from '@distributary/core';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** SQLSTATEs worth retrying: connection exceptions, resources, shutdown, serialization, deadlock. */
const RETRYABLE_STATES = /^(08|53|57P0|40001|40P01|55P03)/;

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Data exceptions (class 22): a value that cannot be converted or stored. */
export function isDataError(error: unknown): boolean {
  return sqlState(error)?.startsWith('22') ?? false;
}

export function isRetryable(error: unknown): boolean {
  const code = sqlState(error);
  if (code && (NETWORK_CODES.has(code) || RETRYABLE_STATES.test(code))) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection/i.test(
    message,
  );
}

/** Wraps a target failure that is worth retrying in RetryableError (the worker backs off and retries). */
export function classifyTargetError(error: unknown, what: string): unknown {
  if (error instanceof RetryableError || !isRetryable(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RetryableError(`${what}: view target unavailable: ${message}`, { cause: error });
}
