import { describe, expect, it } from 'vitest';
import { treatProtoAsOrdinaryKey } from './proto-key';

describe('treatProtoAsOrdinaryKey', () => {
  it('a column named __proto__ becomes an own property that JSON and spreads keep', () => {
    treatProtoAsOrdinaryKey();
    treatProtoAsOrdinaryKey(); // idempotent
    const row: Record<string, unknown> = {};
    for (const [name, value] of [
      ['id', 1],
      ['__proto__', '{"polluted": true}'],
    ] as const)
      row[name] = value;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row)).toEqual(['id', '__proto__']);
    expect(JSON.stringify({ ...row })).toBe('{"id":1,"__proto__":"{\\"polluted\\": true}"}');
    const nested: Record<string, unknown> = {};
    nested['__proto__'] = { isAdmin: true };
    expect(({} as { isAdmin?: boolean }).isAdmin).toBeUndefined();
    expect(Object.getPrototypeOf({ __proto__: null })).toBeNull(); // literals still set prototypes
  });
});
