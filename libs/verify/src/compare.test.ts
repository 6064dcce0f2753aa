import { describe, expect, it } from 'vitest';
import { compareSides, isClean, type KeyedSide } from '@distributary/verify';

function side(entries: Record<string, unknown>): KeyedSide & { scans: number } {
  const s = {
    describe: 'memory',
    scans: 0,
    async *scan(filter?: (key: string) => boolean) {
      s.scans++;
      for (const [k, v] of Object.entries(entries)) if (!filter || filter(k)) yield [k, v] as [string, unknown];
    },
  };
  return s;
}

describe('bucketed comparison', () => {
  it('finds exactly the missing, extra and different keys', async () => {
    const source: Record<string, unknown> = {};
    for (let i = 0; i < 2000; i++) source[`k${i}`] = { n: i, nested: { a: [1, 2] } };
    const target = { ...source };
    delete target.k5;
    target.k7 = { n: 7, nested: { a: [1, 3] } };
    target.extra = { n: -1 };
    const report = await compareSides(side(source), side(target), { buckets: 64 });
    expect(report.missing.map((d) => d.key)).toEqual(['k5']);
    expect(report.different.map((d) => d.key)).toEqual(['k7']);
    expect(report.extra.map((d) => d.key)).toEqual(['extra']);
    expect(report.differingBuckets).toBeLessThanOrEqual(3);
    expect(isClean(report)).toBe(false);
  });

  it('is clean when both sides hold the same pairs in any order and key order inside values', async () => {
    const report = await compareSides(side({ a: { x: 1, y: 2 }, b: null }), side({ b: null, a: { y: 2, x: 1 } }));
    expect(isClean(report)).toBe(true);
    expect(report.differingBuckets).toBe(0);
  });

  it('does not re-read either side when nothing differs', async () => {
    const left = side({ a: 1 });
    const right = side({ a: 1 });
    await compareSides(left, right);
    expect([left.scans, right.scans]).toEqual([1, 1]);
  });
});
