import { isJsonText, type ColumnValue } from '@distributary/core';

/**
 * JSONata expressions the sink evaluates without JSONata: a plain column reference (`price`) and the
 * simple casts `$number(col)` / `$string(col)`. The fast path handles only inputs whose JSONata result
 * is certain (checked against JSONata itself in the tests); for any other value it answers FALLBACK
 * and the compiled JSONata expression runs, so results (and errors) are always JSONata's.
 */
export const FALLBACK: unique symbol = Symbol('fallback to JSONata');

export type FastExpression = (value: ColumnValue | undefined) => unknown;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CAST = /^\$(number|string)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/;
const NOT_PATHS = new Set(['and', 'or', 'in', 'true', 'false', 'null', 'function']);
/** JSON's number grammar: what JSONata's $number surely turns into Number(text). Linear (no backtracking). */
const DECIMAL = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

function asNumber(value: ColumnValue | undefined): unknown {
  if (value === undefined || typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.length <= 400 && DECIMAL.test(value)) {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  return FALLBACK;
}

function asString(value: ColumnValue | undefined): unknown {
  if (value === undefined || typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  return FALLBACK;
}

function asPath(value: ColumnValue | undefined): unknown {
  if (value === undefined || value === null || typeof value !== 'object') return value;
  if (isJsonText(value)) return value; // a json/jsonb column as it is: exact (JSONata would see doubles)
  return FALLBACK; // arrays and objects: JSONata's sequence rules apply
}

/** What a fast expression does with its column: copy it, or cast it with $number / $string. */
export type FastCast = 'copy' | 'number' | 'string';

/** The column a fast expression reads and how, or undefined when the expression needs JSONata. */
export function fastExpression(
  source: string,
): { column: string; cast: FastCast; evaluate: FastExpression } | undefined {
  const text = source.trim();
  if (NAME.test(text) && !NOT_PATHS.has(text)) return { column: text, cast: 'copy', evaluate: asPath };
  const cast = CAST.exec(text);
  if (!cast || NOT_PATHS.has(cast[2])) return undefined;
  return cast[1] === 'number'
    ? { column: cast[2], cast: 'number', evaluate: asNumber }
    : { column: cast[2], cast: 'string', evaluate: asString };
}
