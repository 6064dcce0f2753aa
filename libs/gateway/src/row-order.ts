/**
 * The total order of a top-N subscription's rows, in JS, equal to PostgreSQL's
 * `ORDER BY <order columns> [NULLS LAST asc / FIRST desc], <key columns> ASC` over the rows' type
 * contract values (docs/types.md), for the types listed in COMPARERS. Text compares by code point
 * (UTF-8 bytes), which is PostgreSQL's `COLLATE "C"`, not the database's default collation. Every
 * comparison is linear in the values' length.
 */
import type { Row } from '@distributary/core';

export type Direction = 'asc' | 'desc';

export interface OrderTerm {
  column: string;
  direction: Direction;
}

export class OrderError extends Error {}

type Compare = (a: unknown, b: unknown) => number;

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

function compareNumbers(a: unknown, b: unknown): number {
  return sign(Number(a) - Number(b));
}

function compareBigints(a: unknown, b: unknown): number {
  const x = BigInt(String(a));
  const y = BigInt(String(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

/** float4/float8 as their shortest exact text: -0 = 0, NaN greater than everything and equal to itself. */
function compareFloats(a: unknown, b: unknown): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** numeric's exact text: -Infinity < finite < Infinity < NaN; finite values by sign, integer digits, then digits. */
function numericRank(text: string): number {
  if (text === 'NaN') return 3;
  if (text === 'Infinity') return 2;
  if (text === '-Infinity') return 0;
  return 1;
}

function compareMagnitudes(a: string, b: string): number {
  const [ai, af = ''] = a.split('.');
  const [bi, bf = ''] = b.split('.');
  const aInt = ai.replace(/^0+/, '');
  const bInt = bi.replace(/^0+/, '');
  if (aInt.length !== bInt.length) return aInt.length < bInt.length ? -1 : 1;
  if (aInt !== bInt) return aInt < bInt ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const x = af.padEnd(width, '0');
  const y = bf.padEnd(width, '0');
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareNumeric(a: unknown, b: unknown): number {
  const x = String(a);
  const y = String(b);
  const rx = numericRank(x);
  const ry = numericRank(y);
  if (rx !== ry || rx !== 1) return sign(rx - ry);
  const sx = decimalSign(x);
  const sy = decimalSign(y);
  if (sx !== sy) return sign(sx - sy);
  if (sx === 0) return 0; // 0 = -0 = 0.00
  const magnitude = compareMagnitudes(sx < 0 ? x.slice(1) : x, sy < 0 ? y.slice(1) : y);
  return sx < 0 ? -magnitude : magnitude;
}

/** -1, 0 or 1 for a finite decimal text (`-0.00` is 0). */
function decimalSign(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '-' && c !== '0' && c !== '.') return text.startsWith('-') ? -1 : 1;
  }
  return 0;
}

function compareCodePoints(a: unknown, b: unknown): number {
  return sign(Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8')));
}

function compareBooleans(a: unknown, b: unknown): number {
  return sign(Number(a === true) - Number(b === true));
}

/**
 * date / timestamp / timestamptz text: 'infinity' and '-infinity', else an astronomical year with an
 * optional sign (BC negative, past 9999 with '+') and a fixed-width rest; timestamptz ends in 'Z'
 * (dropped: fractional digits are trimmed, so '05Z' vs '05.5Z' would compare wrongly).
 */
function splitTime(text: string): { rank: number; year: number; rest: string } {
  if (text === '-infinity') return { rank: 0, year: 0, rest: '' };
  if (text === 'infinity') return { rank: 2, year: 0, rest: '' };
  const negative = text.startsWith('-');
  const start = negative || text.startsWith('+') ? 1 : 0;
  let end = start;
  while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
  const year = Number(text.slice(start, end)) * (negative ? -1 : 1);
  const rest = text.endsWith('Z') ? text.slice(end, -1) : text.slice(end);
  return { rank: 1, year, rest };
}

function compareTimes(a: unknown, b: unknown): number {
  const x = splitTime(String(a));
  const y = splitTime(String(b));
  if (x.rank !== y.rank) return sign(x.rank - y.rank);
  if (x.year !== y.year) return sign(x.year - y.year);
  return x.rest < y.rest ? -1 : x.rest > y.rest ? 1 : 0;
}

/** Orderable column types by OID. */
const COMPARERS = new Map<number, Compare>([
  [21, compareNumbers], // int2
  [23, compareNumbers], // int4
  [20, compareBigints], // int8
  [1700, compareNumeric], // numeric
  [700, compareFloats], // float4
  [701, compareFloats], // float8
  [25, compareCodePoints], // text
  [1043, compareCodePoints], // varchar
  [2950, compareCodePoints], // uuid (lower-case hex: byte order)
  [16, compareBooleans], // bool
  [1082, compareTimes], // date
  [1114, compareTimes], // timestamp
  [1184, compareTimes], // timestamptz
]);

export const ORDERABLE_TYPES =
  'int2, int4, int8, numeric, float4, float8, text, varchar, uuid, bool, date, timestamp, timestamptz';

export type RowComparator = (a: Row, b: Row) => number;

/**
 * Builds the comparator, checking the order against the table: every column must exist and have an
 * orderable type, and so must the key columns (the tie-break).
 */
export function rowComparator(
  table: string,
  order: readonly OrderTerm[],
  keyColumns: readonly string[],
  columns: readonly { name: string; typeOid: number; sqlType?: string }[],
): RowComparator {
  const terms = [
    ...order.map((t) => ({ ...t, tieBreak: false })),
    ...keyColumns.map((column) => ({ column, direction: 'asc' as Direction, tieBreak: true })),
  ];
  const compiled = terms.map(({ column, direction, tieBreak }) => {
    const described = columns.find((c) => c.name === column);
    if (!described) throw new OrderError(`${table} has no column "${column}" to order by`);
    const compare = COMPARERS.get(described.typeOid);
    if (!compare)
      throw new OrderError(
        `${table}.${column} (${described.sqlType ?? described.typeOid}) cannot be ordered by${tieBreak ? ' (a key column breaks ties)' : ''}: ${ORDERABLE_TYPES}`,
      );
    return { column, descending: direction === 'desc', compare };
  });
  return (a, b) => {
    for (const { column, descending, compare } of compiled) {
      const x = a[column];
      const y = b[column];
      const xNull = x === null || x === undefined;
      const yNull = y === null || y === undefined;
      // NULL is larger than every value (NULLS LAST ascending, NULLS FIRST descending).
      const c = xNull || yNull ? sign(Number(xNull) - Number(yNull)) : compare(x, y);
      if (c !== 0) return descending ? -c : c;
    }
    return 0;
  };
}
