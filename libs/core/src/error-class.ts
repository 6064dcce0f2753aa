import { EventRejectedError, RetryableError } from './errors';

/**
 * The one classification of failures shared by every sink and the worker:
 * - `transient`: the target is unreachable, overloaded or momentarily refusing (connection errors,
 *   timeouts, HTTP 5xx/429, PostgreSQL deadlock/serialization failures, shutdown, lock timeouts,
 *   Redis CLUSTERDOWN/LOADING...). Retry with backoff; nothing is skipped meanwhile.
 * - `permanent`: this data can never be written as it is (PostgreSQL data, integrity, syntax-level
 *   and program-limit errors — classes 22, 23, 42, 54 —, Elasticsearch mapping and parse errors,
 *   Redis WRONGTYPE...). Dead-letter the event that causes it and go on.
 *
 * Anything not recognised is `transient`: retrying forever, visibly (degraded after a bound), loses
 * nothing, while dead-lettering on a guess could empty a healthy stream into the DLQ.
 *
 * A few class-42 states concern the target itself, not the event (a missing table or column, a
 * missing privilege): every event would fail the same way, so they are `transient` — the partition
 * waits, shows as degraded, and resumes when an operator fixes the target.
 */
export type ErrorClass = 'transient' | 'permanent';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** PostgreSQL SQLSTATE classes and states that say "this data can never be written". */
const PERMANENT_PG_CLASSES = new Set(['21', '22', '23', '2F', '42', '44', '54']);
/** Class-42 states about the target's shape or rights rather than the event: wait for a fix. */
const TARGET_SHAPE_STATES = new Set(['42P01', '42703', '42501', '42883', '42P02']);

const TRANSIENT_REDIS_REPLIES = [
  'CLUSTERDOWN',
  'TRYAGAIN',
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'READONLY',
  'NOREPLICAS',
  'OOM',
  'MOVED',
  'ASK',
];

const PERMANENT_ES_TYPES = new Set([
  'mapper_parsing_exception',
  'document_parsing_exception',
  'illegal_argument_exception',
  'strict_dynamic_mapping_exception',
  'mapper_exception',
  'parse_exception',
  'x_content_parse_exception',
  'json_parse_exception',
]);

const TRANSIENT_MESSAGES = [
  'connection terminated',
  'connection timeout',
  'client has encountered a connection error',
  'terminating connection',
  'socket hang up',
  'timed out',
  'timeout exceeded',
  'connection is closed',
];

export function classifyError(error: unknown): ErrorClass {
  const seen = new Set<unknown>();
  for (let current = error; current && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    const verdict = classifyOne(current);
    if (verdict) return verdict;
  }
  return 'transient';
}

export function isPermanentError(error: unknown): boolean {
  return classifyError(error) === 'permanent';
}

/** A short reason for logs, status and dead letters: the SQLSTATE or status when there is one. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length > 0 && !message.includes(code) ? `${message} (${code})` : message;
}

function classifyOne(error: unknown): ErrorClass | undefined {
  if (error instanceof EventRejectedError) return 'permanent';
  if (error instanceof RetryableError) return 'transient';
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return 'transient';
    const pg = classifyPgState(code);
    if (pg) return pg;
  }
  const name = (error as { name?: unknown }).name;
  const message = error instanceof Error ? error.message : '';
  if (name === 'ReplyError') return classifyRedisReply(message);
  if (name === 'ConnectionError' || name === 'TimeoutError' || name === 'NoLivingConnectionsError') return 'transient';
  const status = httpStatus(error);
  if (status !== undefined) return classifyHttp(status, esErrorType(error));
  const lower = message.toLowerCase();
  if (TRANSIENT_MESSAGES.some((text) => lower.includes(text))) return 'transient';
  return undefined;
}

function classifyPgState(code: string): ErrorClass | undefined {
  if (code.length !== 5) return undefined;
  if (TARGET_SHAPE_STATES.has(code)) return 'transient';
  const cls = code.slice(0, 2);
  if (PERMANENT_PG_CLASSES.has(cls)) return 'permanent';
  if (['08', '40', '53', '55', '57', '58'].includes(cls)) return 'transient';
  return undefined;
}

function classifyRedisReply(message: string): ErrorClass {
  const word = message.split(' ', 1)[0];
  return TRANSIENT_REDIS_REPLIES.includes(word) ? 'transient' : 'permanent';
}

function httpStatus(error: object): number | undefined {
  const meta = (error as { meta?: { statusCode?: unknown } }).meta;
  const status = meta?.statusCode ?? (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

function esErrorType(error: object): string | undefined {
  const body = (error as { meta?: { body?: { error?: { type?: unknown } } } }).meta?.body;
  const type = body?.error?.type;
  return typeof type === 'string' ? type : undefined;
}

function classifyHttp(status: number, type: string | undefined): ErrorClass {
  if (status >= 500 || status === 429 || status === 408) return 'transient';
  if (type && PERMANENT_ES_TYPES.has(type)) return 'permanent';
  if (status === 400 || status === 413) return 'permanent';
  // 401/403/404/409...: about the target or the credentials, not this event: wait, visibly.
  return 'transient';
}
