import fc from 'fast-check';
import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { isRedisCacheSink, loadConfig, parseKeyTemplate, redisCacheSinkSchema } from '@distributary/config';
import { EventRejectedError, comparePositions } from '@distributary/core';
import { clusterNodes, redisUrl } from '@distributary/testkit';
import { CacheModel } from '../src/plan/cache-model';
import { KeyTemplate } from '../src/plan/key-template';
import { scoreText } from '../src/plan/query-cache';
import { RowFilter } from '../src/plan/row-filter';
import {
  GROUP_TOMBSTONES_SUFFIX,
  VALUE_VERSION_SUFFIX,
  companionKey,
  hashTagOf,
  isCompanionKey,
} from '../src/target/slots';
import { versionOf, versionToId } from '../src/version';

describe('key templates', () => {
  it('parses placeholders and {{ }} escapes (hash tags)', () => {
    expect(parseKeyTemplate('product:{id}')).toEqual([{ literal: 'product:' }, { column: 'id' }]);
    expect(new KeyTemplate('{{{tenant}}}:user:{id}').render({ tenant: 7, id: 'a' })).toBe('{7}:user:a');
    expect(new KeyTemplate('s:{shop}:{sku}').columns).toEqual(['shop', 'sku']);
  });

  it('refuses broken templates', () => {
    expect(() => parseKeyTemplate('product:{id')).toThrow(/unclosed/);
    expect(() => parseKeyTemplate('product:id}')).toThrow(/unmatched/);
    expect(() => parseKeyTemplate('product:{a b}')).toThrow(/not a column/);
    expect(() => parseKeyTemplate('product')).toThrow(/at least one/);
  });

  it('renders scalars, gives null for null columns and rejects absent or structured ones', () => {
    const template = new KeyTemplate('p:{id}:{flag}');
    expect(template.render({ id: '9007199254740993', flag: true })).toBe('p:9007199254740993:true');
    expect(template.render({ id: 1, flag: null })).toBeNull();
    expect(() => template.renderRequired({ id: 1, flag: null })).toThrow(EventRejectedError);
    expect(() => template.render({ id: 1 })).toThrow(/needs column "flag"/);
    expect(() => template.render({ id: [1], flag: 1 })).toThrow(/not a scalar/);
  });
});

describe('config schema', () => {
  const base = { name: 'c', redis: { url: 'redis://h:1' }, from: 'products', key: 'p:{id}' };

  it('keeps the DESIGN.md sketch and fills defaults', () => {
    const parsed = redisCacheSinkSchema.parse({ ...base, ttl: '1h' });
    expect(parsed).toMatchObject({
      from: 'public.products',
      ttl: 3_600_000,
      tombstoneTtl: 3_600_000,
      value: { format: 'json' },
      queries: [],
    });
  });

  it('names the path of what is wrong', () => {
    const issues = (input: object) =>
      redisCacheSinkSchema.safeParse(input).error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues({ ...base, key: 'p:{id' })).toEqual([['key', expect.stringMatching(/unclosed/)]]);
    expect(issues({ ...base, filter: 'status = ' })).toEqual([['filter', expect.stringMatching(/JSONata/)]]);
    expect(issues({ ...base, queries: [{ key: 'g:{c}', limit: 3 }] })).toEqual([
      ['queries.0.limit', expect.stringMatching(/needs a `score`/)],
    ]);
    expect(issues({ ...base, value: { format: 'xml' } })?.[0][0]).toBe('value.format');
    expect(issues({ ...base, tombstoneTtl: 0 })?.[0][0]).toBe('tombstoneTtl');
  });
});

describe('versions', () => {
  it('order exactly like log positions, up to the full uint64 range', () => {
    const position = fc.record({ lsn: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), seq: fc.nat() });
    fc.assert(
      fc.property(position, position, (a, b) => {
        const byVersion = versionOf(a) < versionOf(b) ? -1 : versionOf(a) > versionOf(b) ? 1 : 0;
        expect(byVersion).toBe(comparePositions(a, b));
        expect(versionOf(a)).toHaveLength(30);
        expect(versionToId(versionOf(a))).toBe(`${a.lsn}-${a.seq}`);
      }),
    );
  });

  it('compare the same way inside Redis Lua as in TypeScript', async () => {
    const redis = new Redis(redisUrl());
    try {
      const pairs: [bigint, bigint][] = [
        [2n ** 53n, 2n ** 53n + 1n],
        [2n ** 64n - 2n, 2n ** 64n - 1n],
        [9n, 10n],
      ];
      for (const [lo, hi] of pairs) {
        const reply = await redis.eval(
          'return ARGV[1] < ARGV[2] and 1 or 0',
          0,
          versionOf({ lsn: lo, seq: 0 }),
          versionOf({ lsn: hi, seq: 0 }),
        );
        expect(reply).toBe(1);
      }
    } finally {
      await redis.quit();
    }
  });
});

describe('companion keys stay in the slot of the key they guard', () => {
  it('wraps untagged keys and keeps existing tags, behind the U+0000 mark', async () => {
    expect(companionKey('product:42', 'ver')).toBe('{product:42}\u0000\u0000ver');
    expect(companionKey('{t7}:user:1', 'ver')).toBe('{t7}:user:1\u0000ver');
    expect(companionKey('a{b', 'ver')).toBe('{a{b}\u0000\u0000ver');
    expect(hashTagOf('a{}b{c}')).toBeUndefined();
    expect(() => companionKey('a{}b{c}', 'ver')).toThrow(EventRejectedError);
    expect(() => companionKey('a\u0000b', 'ver')).toThrow(EventRejectedError);
  });

  it('no key is a companion, and distinct (key, suffix) pairs give distinct companions', () => {
    const keys = [
      'p:42',
      '{p:42}',
      '{p:42}:ver',
      'p:42:ver',
      '{p:42}:gone',
      '{t}:1',
      '{t}:1:ver',
      '{t}:1:ver:ver',
      'a{b',
    ];
    const seen = new Map<string, string>();
    for (const key of keys) {
      expect(isCompanionKey(key)).toBe(false);
      for (const suffix of [VALUE_VERSION_SUFFIX, GROUP_TOMBSTONES_SUFFIX]) {
        const companion = companionKey(key, suffix);
        expect(isCompanionKey(companion)).toBe(true);
        expect(keys).not.toContain(companion);
        expect(seen.get(companion)).toBeUndefined();
        seen.set(companion, `${key} ${suffix}`);
      }
    }
  });

  it('property: companions of distinct keys differ and are never keys (keys from braces, colons, letters)', () => {
    const key = fc.stringMatching(/^[{}:a-c]{0,12}$/);
    const companion = (k: string, suffix: string): string | undefined => {
      try {
        return companionKey(k, suffix);
      } catch {
        return undefined; // rejected: `}` without a valid tag
      }
    };
    fc.assert(
      fc.property(key, key, fc.constantFrom('ver', 'gone'), fc.constantFrom('ver', 'gone'), (k1, k2, s1, s2) => {
        const [c1, c2] = [companion(k1, s1), companion(k2, s2)];
        if (c1 !== undefined) expect(c1 === k2).toBe(false);
        if (c1 !== undefined && c2 !== undefined && (k1 !== k2 || s1 !== s2)) expect(c1).not.toBe(c2);
      }),
      { numRuns: 2000 },
    );
  });

  it('a rendered key holding U+0000 is rejected', () => {
    expect(() => new KeyTemplate('p:{id}').render({ id: 'a\u0000ver' })).toThrow(/U\+0000/);
  });

  it('have the same CLUSTER KEYSLOT as their key on the real cluster', async () => {
    const [node] = clusterNodes();
    const redis = new Redis(node.port, node.host);
    try {
      for (const key of ['product:42', '{t7}:user:1', 'a{b', 'x:{y}:z', 'categories:{1}']) {
        const [keySlot, companionSlot] = await Promise.all([
          redis.cluster('KEYSLOT', key),
          redis.cluster('KEYSLOT', companionKey(key, VALUE_VERSION_SUFFIX)),
        ]);
        expect(companionSlot).toBe(keySlot);
      }
    } finally {
      await redis.quit();
    }
  });
});

describe('scores and filters', () => {
  it('turns numbers, numeric text, infinities and timestamps into scores', () => {
    expect(scoreText(3, 'p')).toBe('3');
    expect(scoreText('12.50', 'p')).toBe('12.50');
    expect(scoreText('-Infinity', 'p')).toBe('-inf');
    expect(scoreText('2024-01-02T03:04:05.123456Z', 'p')).toBe(String(Date.UTC(2024, 0, 2, 3, 4, 5, 123)));
    expect(scoreText('2024-01-02 03:04:05+00', 'p')).toBe(String(Date.UTC(2024, 0, 2, 3, 4, 5)));
    expect(scoreText('2024-01-02 03:04:05.5-0130', 'p')).toBe(String(Date.UTC(2024, 0, 2, 4, 34, 5, 500)));
    expect(scoreText('2024-01-02T03:04:05', 'p')).toBe(String(Date.UTC(2024, 0, 2, 3, 4, 5)));
    expect(scoreText('2024-01-02', 'p')).toBe(String(Date.UTC(2024, 0, 2)));
    expect(scoreText(null, 'p')).toBeNull();
    expect(() => scoreText('cheap', 'p')).toThrow(/not a number/);
    expect(() => scoreText({ a: 1 }, 'p')).toThrow(EventRejectedError);
  });

  it('JSONata filters: true/false/no result, anything else or a failure is a rejection', async () => {
    expect(await new RowFilter('status = "active"').matches({ status: 'active' })).toBe(true);
    expect(await new RowFilter('status = "active"').matches({ status: 'x' })).toBe(false);
    expect(await new RowFilter('missing').matches({ status: 'x' })).toBe(false);
    await expect(new RowFilter('status').matches({ status: 'x' })).rejects.toThrow(/true or false/);
    await expect(new RowFilter('$number(price) > 1').matches({ price: 'abc' })).rejects.toThrow(EventRejectedError);
  });
});

describe('the shop example (examples/shop/distributary.yaml)', () => {
  it('parses and renders a product the way its comments promise', async () => {
    const config = loadConfig(resolve(__dirname, '../../../../examples/shop/distributary.yaml'), { env: {} });
    const sink = config.sinks.find((s) => s.name === 'product-cache');
    if (!sink || !isRedisCacheSink(sink)) throw new Error('product-cache sink missing from the example');
    const model = new CacheModel(sink);
    const row = { id: 1, category_id: 3, name: 'Lamp', price: '12.50', stock: 4, status: 'active', description: 'x' };
    const cached = await model.cachedRow(row);
    expect(cached?.cacheKey).toBe('product:1');
    expect(cached?.value).toEqual({
      format: 'json',
      document: JSON.stringify({ id: 1, category_id: 3, name: 'Lamp', price: '12.50', stock: 4, status: 'active' }),
    });
    expect(cached?.memberships).toEqual([
      { query: 0, group: 'category:3:cheapest', member: 'product:1', score: '12.50' },
    ]);
    expect(await model.cachedRow({ ...row, status: 'draft' })).toBeUndefined();
  });
});
