import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import type { ColumnValue } from '@distributary/core';
import { FALLBACK, fastExpression } from '../src/document/fast-expression';

const VALUES: (ColumnValue | undefined)[] = [
  undefined,
  null,
  '10.50',
  '1e3',
  '-0',
  '0',
  '00012',
  '0x1F',
  ' 12',
  '',
  'abc',
  'NaN',
  'Infinity',
  '1e999',
  '12345678901234567890',
  '0.1e-2',
  '-7.25E+2',
  5,
  -0,
  0.1,
  true,
  false,
  [1, 2],
  { a: 1 },
];

async function viaJsonata(source: string, value: ColumnValue | undefined): Promise<{ value?: unknown; error?: true }> {
  try {
    return { value: await jsonata(source).evaluate(value === undefined ? {} : { v: value }) };
  } catch {
    return { error: true };
  }
}

describe('fast expressions', () => {
  it.each(['v', '$number(v)', '$string(v)', ' $number( v ) '])(
    '%s gives what JSONata gives, or defers to it',
    async (source) => {
      const fast = fastExpression(source);
      expect(fast?.column).toBe('v');
      for (const value of VALUES) {
        const result = fast?.evaluate(value);
        if (result === FALLBACK) continue;
        const expected = await viaJsonata(source, value);
        expect(expected.error, `${source} of ${JSON.stringify(value)}`).toBeUndefined();
        expect(Object.is(result, expected.value) || result === expected.value, `${source} of ${String(value)}`).toBe(
          true,
        );
      }
      // the common inputs take the fast path
      expect(fast?.evaluate('10.50')).not.toBe(FALLBACK);
    },
  );

  it('leaves every other expression to JSONata', () => {
    for (const source of ['$number(v) + 1', '$uppercase(v)', 'a.b', 'true', '$number(null)', '$round(v)']) {
      expect(fastExpression(source)).toBeUndefined();
    }
  });
});
