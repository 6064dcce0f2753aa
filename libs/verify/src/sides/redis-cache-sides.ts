import { parseKeyTemplate, type RedisCacheSinkConfig } from '@distributary/config';
import { connectRedis, type RedisClient } from '@distributary/changelog';
import type { Row } from '@distributary/core';
import { CacheModel, isCompanionKey, scanKeys, type CachedRow, type CachedValue } from '@distributary/sink-redis-cache';
import { parseLosslessJson } from '../oracle/lossless-json';
import type { SnapshotSlot } from '../oracle/source-snapshot';
import type { KeySample } from './sampling';
import { keyedSide, type SinkSides } from './keyed-side';
import { pickKey } from './source-table';

export const VALUE_PREFIX = 'value ';
export const MEMBER_PREFIX = 'member ';

export function memberKey(group: string, member: string): string {
  return `${MEMBER_PREFIX}${JSON.stringify([group, member])}`;
}

export function parseMemberKey(key: string): { group: string; member: string } {
  const [group, member] = JSON.parse(key.slice(MEMBER_PREFIX.length)) as [string, string];
  return { group, member };
}

function decode(value: CachedValue): unknown {
  if (value.format === 'json') return parseLosslessJson(value.document);
  const out: Record<string, string> = {};
  for (let i = 0; i < value.pairs.length; i += 2) out[value.pairs[i]] = value.pairs[i + 1];
  return out;
}

/** `product:{id}` → `product:*` (literal glob characters escaped). */
export function globOf(template: string): string {
  return parseKeyTemplate(template)
    .map((part) => ('column' in part ? '*' : part.literal.replace(/[*?[\]\\]/g, (c) => `\\${c}`)))
    .join('');
}

/**
 * The sink's bookkeeping keys next to values and groups (versions, tombstones): only they contain
 * U+0000 (redis-cache slots.ts), so a user key such as `{product:42}:ver` is compared like any other.
 */
const isCompanion = isCompanionKey;

const score = (text: string | undefined): number | null => (text === undefined ? null : Number(text));

/**
 * Redis cache: the expected side renders every row of the pass's source snapshot (values rendered by
 * PostgreSQL per the type contract, oracle/) with the sink's OWN CacheModel (filter,
 * key template, projection, encoding, query memberships), so rows the filter leaves out are expected
 * to be absent. Keys: `value <cache key>` → the decoded value, `member [group, member]` → its score
 * (null for plain sets). Top-N groups expect their best `limit` members.
 *
 * TTL: with `ttl` set, a value that is missing from the cache is a valid state (it expired, and a
 * miss is always allowed), so missing values are counted as ignored, never as differences; values
 * that ARE present are still compared. Group members never expire and are always compared.
 */
export function redisCacheSides(
  sink: RedisCacheSinkConfig,
  source: { snapshot: SnapshotSlot },
  sample?: KeySample,
  deps: { client?: RedisClient } = {},
): SinkSides & { client: RedisClient; model: CacheModel } {
  const model = new CacheModel(sink);
  const client = deps.client ?? connectRedis(sink.redis);
  const sourceKeys = new Map<string, Row>();

  async function* expectedPairs(want: (key: string) => boolean, drilling: boolean): AsyncGenerator<[string, unknown]> {
    const limited = new Map<string, { score: number; key: string; row: Row }[]>();
    for await (const { rows, info } of source.snapshot.get().scan(model.table)) {
      const keyColumns = info.primaryKey;
      for (const row of rows) {
        let cached: CachedRow | undefined;
        try {
          cached = await model.cachedRow(row);
        } catch {
          continue; // the sink dead-letters a row it cannot render: nothing is expected in the cache
        }
        if (!cached) continue;
        const rowKey = pickKey(row, keyColumns);
        const valueKey = `${VALUE_PREFIX}${cached.cacheKey}`;
        if (want(valueKey)) {
          if (drilling) sourceKeys.set(valueKey, rowKey);
          yield [valueKey, decode(cached.value)];
        }
        for (const m of cached.memberships) {
          const key = memberKey(m.group, m.member);
          const limit = sink.queries[m.query]?.limit;
          if (limit !== undefined) {
            const group = limited.get(`${m.query} ${m.group}`) ?? [];
            group.push({ score: Number(m.score), key, row: rowKey });
            limited.set(`${m.query} ${m.group}`, group);
          } else if (want(key)) {
            if (drilling) sourceKeys.set(key, rowKey);
            yield [key, score(m.score)];
          }
        }
      }
    }
    for (const [name, members] of limited) {
      const query = sink.queries[Number(name.split(' ')[0])];
      members.sort((a, b) => (query.order === 'asc' ? a.score - b.score : b.score - a.score));
      for (const m of members.slice(0, query.limit)) {
        if (!want(m.key)) continue;
        if (drilling) sourceKeys.set(m.key, m.row);
        yield [m.key, m.score];
      }
    }
  }

  async function* actualPairs(want: (key: string) => boolean): AsyncGenerator<[string, unknown]> {
    for (const key of await scanKeys(client, globOf(sink.key))) {
      if (isCompanion(key) || !want(`${VALUE_PREFIX}${key}`)) continue;
      const type = await client.type(key);
      if (type === 'string') {
        const text = await client.get(key);
        if (text === null) continue;
        let value: unknown = text;
        try {
          value = parseLosslessJson(text);
        } catch {
          // not JSON: compared as the raw string (and reported as different)
        }
        yield [`${VALUE_PREFIX}${key}`, value];
      } else if (type === 'hash') {
        yield [`${VALUE_PREFIX}${key}`, await client.hgetall(key)];
      }
    }
    const groupPatterns = [...new Set(sink.queries.map((q) => globOf(q.key)))];
    for (const pattern of groupPatterns) {
      for (const group of await scanKeys(client, pattern)) {
        if (isCompanion(group)) continue;
        const type = await client.type(group);
        if (type === 'zset') {
          const flat = await client.zrange(group, 0, -1, 'WITHSCORES');
          for (let i = 0; i < flat.length; i += 2) {
            const key = memberKey(group, flat[i]);
            if (want(key)) yield [key, Number(flat[i + 1])];
          }
        } else if (type === 'set') {
          for (const member of await client.smembers(group)) {
            const key = memberKey(group, member);
            if (want(key)) yield [key, null];
          }
        }
      }
    }
  }

  return {
    table: model.table,
    client,
    model,
    expected: keyedSide(`source ${model.table} → cache`, expectedPairs, sample),
    actual: keyedSide('redis cache', actualPairs, sample),
    sourceKeyOf: (key) => sourceKeys.get(key),
    ignoreMissing: sink.ttl === undefined ? undefined : (key) => key.startsWith(VALUE_PREFIX),
    async close() {
      if (!deps.client) client.disconnect();
    },
  };
}
