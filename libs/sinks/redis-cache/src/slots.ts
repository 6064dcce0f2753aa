import { EventRejectedError } from '@distributary/core';

/**
 * Companion keys (a value's version, a group's member versions) must sit in the same Redis Cluster
 * hash slot as the key they guard, because one Lua script touches both and a script never spans
 * slots. Redis hashes only the first non-empty `{...}` of a key when there is one, else the whole key:
 * - a key with a hash tag keeps it: `{t7}:user:1` → `{t7}:user:1:ver`;
 * - a key without one is wrapped whole: `product:42` → `{product:42}:ver` hashes exactly "product:42".
 * A rendered key that has a `}` but no valid tag cannot be wrapped that way; such an event is rejected
 * (identically on a single Redis, so behaviour does not change when moving to a cluster).
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}

export function companionKey(key: string, suffix: string): string {
  if (hashTagOf(key) !== undefined) return `${key}${suffix}`;
  if (key.includes('}'))
    throw new EventRejectedError(
      `key "${key}" contains "}" without a valid {hash tag}, so its version cannot be kept in the same ` +
        'cluster slot; change the key template or the data',
    );
  return `{${key}}${suffix}`;
}

export const VALUE_VERSION_SUFFIX = ':ver';
export const GROUP_VERSIONS_SUFFIX = ':ver';
export const GROUP_TOMBSTONES_SUFFIX = ':gone';

export interface GroupKeys {
  group: string;
  versions: string;
  tombstones: string;
}

export function groupKeys(group: string): GroupKeys {
  return {
    group,
    versions: companionKey(group, GROUP_VERSIONS_SUFFIX),
    tombstones: companionKey(group, GROUP_TOMBSTONES_SUFFIX),
  };
}
