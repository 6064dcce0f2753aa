import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { RowCache } from './row-cache';

function event(id: number, op: ChangeEvent['op'] = 'c', table = 'public.t'): ChangeEvent {
  return {
    pos: { lsn: 1n, seq: id },
    op,
    table,
    key: op === 't' ? {} : { id },
    after: op === 'c' || op === 'u' ? { id, v: `v${id}` } : undefined,
  };
}

describe('RowCache', () => {
  it('keeps the rows of the last `capacity` events', () => {
    const cache = new RowCache(3);
    for (const id of [1, 2, 3]) cache.remember(event(id));
    expect(cache.get('public.t', { id: 1 })).toEqual({ id: 1, v: 'v1' });
    cache.remember(event(4)); // overwrites the oldest entry, 1
    expect(cache.get('public.t', { id: 1 })).toBeUndefined();
    expect([2, 3, 4].map((id) => cache.get('public.t', { id })?.v)).toEqual(['v2', 'v3', 'v4']);
    expect(cache.size).toBe(3);
  });

  it('answers like a scan of the last `capacity` events, newest first (random ops, lookups at random gaps)', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (const capacity of [1, 2, 5, 17]) {
      const cache = new RowCache(capacity);
      const log: ChangeEvent[] = [];
      const expected = (table: string, id: number): string | undefined => {
        for (let i = log.length - 1; i >= Math.max(0, log.length - capacity); i--) {
          const logged = log[i];
          if (logged.table !== table) continue;
          if (logged.op === 't') return undefined;
          if (logged.key.id === id) return logged.after?.v as string | undefined;
        }
        return undefined;
      };
      for (let step = 0; step < 3000; step++) {
        const table = random(3) === 0 ? 'public.other' : 'public.t';
        const roll = random(20);
        const id = random(8);
        const op: ChangeEvent['op'] = roll === 0 ? 't' : roll < 4 ? 'd' : roll < 10 ? 'u' : 'c';
        const logged = { ...event(id, op, table), after: op === 'c' || op === 'u' ? { id, v: `v${step}` } : undefined };
        log.push(logged);
        cache.remember(logged);
        // Lookups after a random number of writes (sometimes more than the capacity).
        if (random(capacity * 2 + 1) === 0)
          for (const t of ['public.t', 'public.other'])
            for (let k = 0; k < 8; k++)
              expect(cache.get(t, { id: k })?.v, `${capacity} ${step} ${t} ${k}`).toBe(expected(t, k));
      }
    }
  });

  it('updates a row in place, forgets deletes and a whole table on truncate', () => {
    const cache = new RowCache(10);
    cache.remember(event(1));
    cache.remember({ ...event(1, 'u'), after: { id: 1, v: 'new' } });
    expect(cache.get('public.t', { id: 1 })).toEqual({ id: 1, v: 'new' });
    cache.remember(event(1, 'd'));
    expect(cache.get('public.t', { id: 1 })).toBeUndefined();
    cache.remember(event(2));
    cache.remember(event(3, 'c', 'public.other'));
    cache.remember(event(0, 't'));
    expect(cache.get('public.t', { id: 2 })).toBeUndefined();
    expect(cache.get('public.other', { id: 3 })).toEqual({ id: 3, v: 'v3' });
    expect(cache.size).toBe(1);
  });

  it('stays bounded and correct through many evictions (reused nodes)', () => {
    const cache = new RowCache(100);
    for (let id = 0; id < 10_000; id++) cache.remember(event(id));
    expect(cache.size).toBe(100);
    expect(cache.get('public.t', { id: 9_899 })).toBeUndefined();
    for (let id = 9_900; id < 10_000; id++) expect(cache.get('public.t', { id })?.v).toBe(`v${id}`);
  });

  it('holds nothing with capacity 0', () => {
    const cache = new RowCache(0);
    cache.remember(event(1));
    expect(cache.size).toBe(0);
  });
});
