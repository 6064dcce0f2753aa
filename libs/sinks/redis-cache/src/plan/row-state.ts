import type { RedisClient } from '@distributary/changelog';
import { canonicalKey, type Row } from '@distributary/core';
import { withDeadline } from '../write/deadline';
import { scripts } from '../write/lua-script';

/**
 * Per source row bookkeeping: which cache key and group memberships the row's latest applied event
 * wrote (live) or removed (gone). It is written last, after all of that event's writes, so a record at
 * version V proves event V is fully in Redis; it is how a row leaves its old group or old key when an
 * update does not carry the `before` image. A gone record expires after the tombstone TTL.
 */
export interface RowState {
  version: string;
  cacheKey: string;
  memberships: [group: string, member: string][];
  gone: boolean;
}

/** The namespace's ownership marker (RedisCacheSink.claimNamespace). */
export function ownerKey(namespace: string): string {
  return `${namespace}:owner`;
}

/**
 * True when `key` is one of the names the sink keeps its row records and owner marker under. A key
 * rendered from data must never be one (it would overwrite a row record, or be taken for one by a
 * TRUNCATE): KeyTemplate rejects it for value and group keys.
 */
export function isBookkeepingName(namespace: string, key: string): boolean {
  return key === ownerKey(namespace) || key.startsWith(`${namespace}:row:`);
}

export function rowStateKey(namespace: string, table: string, key: Row): string {
  return `${namespace}:row:${canonicalKey(table, key)}`;
}

export function rowStatePattern(namespace: string, table: string): string {
  return `${globEscape(`${namespace}:row:${table}:`)}*`;
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

export async function readRowState(client: RedisClient, key: string, timeoutMs: number): Promise<RowState | undefined> {
  const fields = await withDeadline(`HGETALL ${key}`, timeoutMs, client.hgetall(key));
  if (!fields.v) return undefined;
  return {
    version: fields.v,
    cacheKey: fields.k ?? '',
    memberships: fields.g ? (JSON.parse(fields.g) as [string, string][]) : [],
    gone: fields.d === '1',
  };
}

export async function writeRowState(
  client: RedisClient,
  key: string,
  state: RowState,
  options: { tombstoneTtlMs: number; timeoutMs: number },
): Promise<boolean> {
  const written = await scripts.writeRowState.run(
    client,
    [key],
    [state.version, state.cacheKey, JSON.stringify(state.memberships), state.gone ? '1' : '0', options.tombstoneTtlMs],
    options.timeoutMs,
  );
  return written === 1;
}
