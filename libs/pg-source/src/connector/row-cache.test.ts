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
  it('keeps the most recently used rows up to its capacity', () => {
    const cache = new RowCache(3);
    for (const id of [1, 2, 3]) cache.remember(event(id));
    expect(cache.get('public.t', { id: 1 })).toEqual({ id: 1, v: 'v1' }); // 1 is now the most recent
    cache.remember(event(4)); // evicts 2, the least recently used
    expect(cache.get('public.t', { id: 2 })).toBeUndefined();
    expect([1, 3, 4].map((id) => cache.get('public.t', { id })?.v)).toEqual(['v1', 'v3', 'v4']);
    expect(cache.size).toBe(3);
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
