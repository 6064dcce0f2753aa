import { describe, expect, it } from 'vitest';
import { formatPositions, parsePositions, PositionVectorError } from './positions';
import { parseSnapshot, widenXid, xidVisible } from './visibility';

describe('position vectors', () => {
  it('round-trips and validates strictly', () => {
    const vector = ['0-0', '23456789-3', '18446744073709551615-18446744073709551615'];
    expect(parsePositions(formatPositions(vector), 3)).toEqual(vector);
    for (const bad of [
      '0:0-0,1:1-1',
      '1:0-0,0:0-0,2:0-0',
      '0:0-0,1:x-1,2:0-0',
      '0:0-0,1:1-,2:0-0',
      '0:0-0,1:-1,2:0-0',
      '0:0-0,1:18446744073709551616-0,2:0-0',
      '0:0-0,1:1-1,2:0-0,3:0-0',
      `0:${'1'.repeat(5000)}-0,1:0-0,2:0-0`,
    ])
      expect(() => parsePositions(bad, 3)).toThrow(PositionVectorError);
  });
});

describe('snapshot visibility', () => {
  it('sees committed transactions only, comparing 32-bit xids modulo 2^32', () => {
    const s = parseSnapshot('100:105:101,103', 0n);
    expect([99, 100, 101, 102, 103, 104, 105, 106].map((x) => xidVisible(x, s))).toEqual([
      true,
      true,
      false,
      true,
      false,
      true,
      false,
      false,
    ]);
    // Across the 32-bit wrap: xid8 values in epoch 1, event xids are their low 32 bits.
    const base = 1n << 32n;
    const w = parseSnapshot(`${base - 5n}:${base + 5n}:${base + 2n}`, 0n);
    expect(widenXid(2 ** 32 - 10, w)).toBe(base - 10n);
    expect(widenXid(3, w)).toBe(base + 3n);
    expect(xidVisible(2 ** 32 - 10, w)).toBe(true);
    expect(xidVisible(2, w)).toBe(false);
    expect(xidVisible(4, w)).toBe(true);
    expect(xidVisible(5, w)).toBe(false);
  });
});
