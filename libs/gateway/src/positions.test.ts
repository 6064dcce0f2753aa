import { describe, expect, it } from 'vitest';
import {
  formatPositions,
  formatResumeId,
  parseLsnParam,
  parsePositions,
  parseResumeId,
  PositionVectorError,
} from './positions';
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

describe('resume ids and ?after', () => {
  it('carry a snapshot after ~ and parse strictly', () => {
    const snapshot = parseSnapshot('100:105:101,103', 987654321n);
    const id = formatResumeId(['1-0', '2-3'], snapshot);
    expect(id).toBe('0:1-0,1:2-3~987654321:100:105:101,103');
    expect(parseResumeId(id, 2)).toEqual({ vector: ['1-0', '2-3'], snapshot });
    expect(parseResumeId('0:1-0,1:2-3', 2)).toEqual({ vector: ['1-0', '2-3'], snapshot: undefined });
    const many = parseSnapshot(`1:200:${Array.from({ length: 65 }, (_, i) => i + 2).join(',')}`, 5n);
    expect(formatResumeId(['1-0'], many)).toBe('0:1-0'); // too many in-progress xids: not written
    for (const bad of [
      '0:1-0,1:2-3~',
      '0:1-0,1:2-3~1:2:3',
      '0:1-0,1:2-3~1:5:3:',
      '0:1-0,1:2-3~1:2:3:4~5',
      '0:1-0,1:2-3~a:2:3:',
    ])
      expect(() => parseResumeId(bad, 2), bad).toThrow(PositionVectorError);
  });

  it('parses an LSN strictly', () => {
    expect(parseLsnParam('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(parseLsnParam('0/0')).toBe(0n);
    for (const bad of ['', '/', '1/', '/1', '1/2/3', '123456789/1', '1/G', ' 1/2', '1/2 ', '1'.repeat(10000)])
      expect(() => parseLsnParam(bad), bad.slice(0, 20)).toThrow(PositionVectorError);
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
