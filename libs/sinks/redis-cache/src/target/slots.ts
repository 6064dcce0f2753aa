import { EventRejectedError } from '@distributary/core';

/**
 * Companion keys (a value's version, a group's member versions and tombstones) are the sink's own
 * bookkeeping next to user keys, so two rules hold for them:
 *
 * 1. No rendered key can ever be a companion. Rendered keys come from DATA, so a suffix alone
 *    (`<key>:ver`) is not enough: a row whose id is `1:ver` would render another row's companion.
 *    Every companion therefore contains COMPANION_MARK (U+0000), a character PostgreSQL text can
 *    never hold (nor can the text of any other type: bytea is base64, numbers and booleans are
 *    digits/words, JSON is not a scalar for a template). KeyTemplate.render() rejects a key that
 *    holds it all the same, so the guarantee does not rest on the source alone.
 * 2. A companion sits in the same Redis Cluster hash slot as the key it guards, because one Lua
 *    script touches both and a script never spans slots. Redis hashes only the first non-empty
 *    `{...}` of a key when there is one, else the whole key:
 *    - a key with a hash tag keeps it: `{t7}:user:1` → `{t7}:user:1\0ver`;
 *    - a key without one is wrapped whole, and the wrap is marked by a second mark, so a key
 *      `{product:42}` (tagged) and a key `product:42` (wrapped) get different companions:
 *      `product:42` → `{product:42}\0\0ver` hashes exactly "product:42".
 *    A rendered key that has a `}` but no valid tag cannot be wrapped that way; such an event is
 *    rejected (identically on a single Redis, so behaviour does not change when moving to a cluster).
 *
 * So a companion reads back unambiguously: the text before its first mark is the key (or the key in
 * braces when a second mark follows), the rest is the suffix. Distinct (key, suffix) pairs give
 * distinct companions, and no user key contains the mark.
 */
export const COMPANION_MARK = '\u0000';

export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}

/** True for the sink's bookkeeping keys (companions): only they contain COMPANION_MARK. */
export function isCompanionKey(key: string): boolean {
  return key.includes(COMPANION_MARK);
}

/** A key as a message shows it: the mark written `\0`. */
export function printableKey(key: string): string {
  return key.replaceAll(COMPANION_MARK, '\\0');
}

/** Rejects a rendered key that holds the companion mark (it could otherwise name bookkeeping). */
export function assertUserKey(key: string, template: string): void {
  if (isCompanionKey(key))
    throw new EventRejectedError(
      `key template "${template}" rendered a key containing U+0000, which is reserved for the sink's ` +
        'bookkeeping keys; change the key template or the data',
    );
}

export function companionKey(key: string, suffix: string): string {
  if (isCompanionKey(key))
    throw new EventRejectedError(
      `key "${printableKey(key)}" contains U+0000, reserved for the sink's bookkeeping keys`,
    );
  if (hashTagOf(key) !== undefined) return `${key}${COMPANION_MARK}${suffix}`;
  if (key.includes('}'))
    throw new EventRejectedError(
      `key "${key}" contains "}" without a valid {hash tag}, so its version cannot be kept in the same ` +
        'cluster slot; change the key template or the data',
    );
  return `{${key}}${COMPANION_MARK}${COMPANION_MARK}${suffix}`;
}

/** Suffixes: never empty and never starting with the mark (that is what tells the two forms apart). */
export const VALUE_VERSION_SUFFIX = 'ver';
export const GROUP_VERSIONS_SUFFIX = 'ver';
export const GROUP_TOMBSTONES_SUFFIX = 'gone';

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
