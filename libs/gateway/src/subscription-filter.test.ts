import { describe, expect, it } from 'vitest';
import type { ColumnValue, Row } from '@distributary/core';
import { CompiledSubscription } from './subscription-filter';

const compile = (filter: string) =>
  new CompiledSubscription({ name: 's', table: 'public.t', filter, params: ['p'] } as never);

describe('subscription filters', () => {
  it('evaluates `column = :param` natively exactly as JSONata does', async () => {
    const native = compile('c = :p');
    const viaJsonata = compile('(c = :p)'); // a block: not the native path
    expect(native.equalityOnly).toBe(true);
    expect(viaJsonata.equalityOnly).toBe(false);
    const values = [3, -3, 0, -0, 3.5, '3', 'abc', '', true, false, null, undefined, [3], { a: 3 }, '3.50', 'NaN'];
    const params = ['3', '-3', '0', '-0', '3.5', 'abc', '', 'true', 'null', '3.50', 'NaN', '03'];
    for (const param of params) {
      const a = native.bind({ p: param });
      const b = viaJsonata.bind({ p: param });
      for (const value of values) {
        const row: Row = value === undefined ? { other: 1 } : { c: value as ColumnValue };
        expect(await a.matches(row), `${JSON.stringify(value)} = :p (${param})`).toBe(await b.matches(row));
      }
    }
  });
});
