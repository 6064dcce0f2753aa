import { describe, expect, it } from 'vitest';
import { compareIds, formatLsn, idToPosition, parseLsn, partitionFor, positionToId } from '@distributary/core';

describe('positions', () => {
  it('round-trips LSNs through uint64 entry IDs without loss', () => {
    for (const text of ['0/0', '0/16B3748', '16/B374D848', 'FFFFFFFF/FFFFFFFF']) {
      const lsn = parseLsn(text);
      expect(formatLsn(lsn)).toBe(text);
      const id = positionToId({ lsn, seq: 7 });
      expect(idToPosition(id)).toEqual({ lsn, seq: 7 });
    }
  });

  it('orders IDs by LSN then sequence, as Redis orders stream IDs', () => {
    expect(compareIds('100-5', '100-10')).toBe(-1);
    expect(compareIds('99-10', '100-0')).toBe(-1);
    expect(compareIds('18446744073709551615-0', '18446744073709551614-99')).toBe(1);
  });

  it('rejects malformed LSNs with the value in the message', () => {
    expect(() => parseLsn('nonsense')).toThrow(/nonsense/);
  });

  it('partitions deterministically and within range', () => {
    const a = partitionFor('public.products', { id: '42' }, 8);
    expect(a).toBe(partitionFor('public.products', { id: '42' }, 8));
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(partitionFor('public.products', { id: String(i) }, 8));
    expect(seen.size).toBe(8);
  });
});
