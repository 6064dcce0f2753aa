import { describe, expect, it } from 'vitest';
import { FailureLimiter } from './failure-limiter';

describe('token failure limiter', () => {
  it('blocks an address after max failures until its window ends, and only that address', () => {
    let now = 1_000;
    const limiter = new FailureLimiter({ max: 2, windowMs: 10_000 }, () => now);
    for (let i = 0; i < 2; i++) limiter.fail('a');
    expect(limiter.blockedFor('a')).toBe(0);
    limiter.fail('a');
    expect(limiter.blockedFor('a')).toBe(10_000);
    expect(limiter.blockedFor('b')).toBe(0);
    now += 9_999;
    expect(limiter.blockedFor('a')).toBe(1);
    now += 1;
    expect(limiter.blockedFor('a')).toBe(0);
    limiter.fail('a');
    expect(limiter.blockedFor('a')).toBe(0);
  });

  it('tracks a bounded number of addresses (expired first, then the oldest)', () => {
    let now = 0;
    const limiter = new FailureLimiter({ max: 0, windowMs: 100, maxClients: 100 }, () => now);
    for (let i = 0; i < 10_000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
    expect(limiter.blockedFor('10.0.39.15')).toBe(100); // the newest is still tracked
    now = 1_000;
    limiter.fail('fresh');
    expect(limiter.size).toBeLessThanOrEqual(100);
    expect(limiter.blockedFor('10.0.39.15')).toBe(0);
  });
});
