import { BadRequestException } from '@nestjs/common';

/*
 * Every path and query parameter of the admin API is checked here before it reaches Redis or
 * Postgres: a malformed one is a 400 naming the parameter, never a raw driver error. The checks are
 * linear (character classes with bounded lengths, no backtracking).
 */
const MAX_U64 = (1n << 64n) - 1n;

/** A query parameter given once, as text (repeated or nested parameters are refused). */
export function queryText(value: unknown, name: string, maxLength = 200): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`${name}: give it once, as plain text`);
  if (value.length > maxLength) throw new BadRequestException(`${name}: at most ${maxLength} characters`);
  return value;
}

/** A sink name as configured (the 404 for unknown names comes later). */
export function sinkName(value: unknown): string {
  const text = queryText(value, 'sink name', 200);
  if (!text || !/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(text))
    throw new BadRequestException('sink name: letters, digits, ".", "_", ":" or "-"');
  return text;
}

/** True when `text` is a Redis stream entry ID `<ms>-<seq>` with both parts in 0..2^64-1. */
export function isStreamId(text: unknown): text is string {
  if (typeof text !== 'string' || text.length > 41 || !/^\d{1,20}-\d{1,20}$/.test(text)) return false;
  const [ms, seq] = text.split('-');
  return BigInt(ms) <= MAX_U64 && BigInt(seq) <= MAX_U64;
}

export function streamId(value: unknown, name: string): string {
  if (!isStreamId(value)) throw new BadRequestException(`${name}: expected a stream entry ID like 1718000000000-0`);
  return value;
}

/** An incremental snapshot job id as SnapshotRequests.create() makes it (base-36 time, 6 hex). */
export function snapshotId(value: unknown): string {
  if (value === 'initial')
    throw new BadRequestException(
      'the initial snapshot cannot be paused, resumed or cancelled (only incremental ones)',
    );
  if (typeof value !== 'string' || !/^[a-z0-9]{1,16}-[0-9a-f]{6}$/.test(value))
    throw new BadRequestException('snapshot id: expected an id as listed by GET /api/snapshots');
  return value;
}

/** An integer query parameter in [min, max], or `fallback` when absent or empty. */
export function queryInt(value: unknown, name: string, fallback: number, min: number, max: number): number {
  const text = queryText(value, name, 12);
  if (text === undefined || text === '') return fallback;
  const n = /^\d{1,12}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new BadRequestException(`${name} must be an integer between ${min} and ${max}`);
  return n;
}

/** `?full=1` / `?full=true` (absent, 0 or false: previews). */
export function queryFlag(value: unknown, name: string): boolean {
  const text = queryText(value, name, 5);
  if (text === undefined || text === '' || text === '0' || text === 'false') return false;
  if (text === '1' || text === 'true') return true;
  throw new BadRequestException(`${name}: expected 1 or 0`);
}
