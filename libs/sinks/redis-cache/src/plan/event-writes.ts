import type { CachedValue } from './cached-value';
import type { Membership } from './query-cache';
import type { RowState } from './row-state';
import { VALUE_VERSION_SUFFIX, companionKey, groupKeys, hashTagOf } from '../target/slots';

/** Everything one change event writes: what EventApplier decided, for CacheWriter.applyEvent. */
export interface EventWrites {
  version: string;
  value?: { key: string; value: CachedValue };
  deleteKeys: string[];
  removeMemberships: [group: string, member: string][];
  addMemberships: Membership[];
  row: { key: string; state: RowState };
  /** The old primary key's record (marked gone) when an update changed the key. */
  previousRow?: { key: string; state: RowState };
  /**
   * Set when the row records were NOT read before planning (one round trip per event): the script
   * reads them (`row.state` is then what a missing record implies) and answers 'needs-state' when a
   * stored record names a place this plan does not cover. `previousKey`: the old primary key's record;
   * `mustKnowPlace`: a delete whose cache key only a stored record can name.
   */
  unread?: { previousKey?: string; mustKnowPlace: boolean };
}

export interface PlanSettings {
  ttlMs: number;
  tombstoneTtlMs: number;
  limits: { limit: number; order: 'asc' | 'desc' }[];
  now: number;
}

/** The KEYS and the JSON plan of apply-event.lua, plus each key's allowed types (checked first). */
export interface ScriptPlan {
  keys: string[];
  plan: string;
  expectedTypes: { key: string; types: string[] }[];
}

export function planEventWrites(writes: EventWrites, settings: PlanSettings): ScriptPlan {
  const keys: string[] = [];
  const expectedTypes: ScriptPlan['expectedTypes'] = [];
  const index = (key: string, types?: string[]): number => {
    keys.push(key);
    if (types) expectedTypes.push({ key, types });
    return keys.length;
  };
  const versionTtlMs = settings.ttlMs > 0 ? settings.ttlMs + settings.tombstoneTtlMs : 0;
  const value = writes.value;
  const set = value && {
    k: index(value.key),
    ver: index(companionKey(value.key, VALUE_VERSION_SUFFIX), ['string']),
    format: value.value.format,
    ttl: String(settings.ttlMs),
    verTtl: String(versionTtlMs),
    payload: value.value.format === 'json' ? [value.value.document] : value.value.pairs,
  };
  const del = writes.deleteKeys.map((key) => ({
    k: index(key),
    ver: index(companionKey(key, VALUE_VERSION_SUFFIX), ['string']),
    tombTtl: String(settings.tombstoneTtlMs),
  }));
  const rem = writes.removeMemberships.map(([group, member]) => {
    const g = groupKeys(group);
    return {
      g: index(g.group),
      gv: index(g.versions, ['hash']),
      gt: index(g.tombstones, ['zset']),
      member,
      tombTtl: String(settings.tombstoneTtlMs),
    };
  });
  const add = writes.addMemberships.map((m) => {
    const g = groupKeys(m.group);
    const kind = m.score === undefined ? 'set' : 'zset';
    const { limit, order } = settings.limits[m.query] ?? { limit: 0, order: 'desc' };
    return {
      g: index(g.group, [kind]),
      gv: index(g.versions, ['hash']),
      gt: index(g.tombstones, ['zset']),
      member: m.member,
      kind,
      score: m.score ?? '0',
      limit: String(limit),
      order,
    };
  });
  const record = ({ key, state }: { key: string; state: RowState }) => ({
    k: index(key, ['hash']),
    v: state.version,
    ck: state.cacheKey,
    g: JSON.stringify(state.memberships),
    d: state.gone ? '1' : '0',
    ttl: String(settings.tombstoneTtlMs),
  });
  const row = record(writes.row);
  const prev = writes.previousRow ? record(writes.previousRow) : undefined;
  const unread = writes.unread && {
    pk: writes.unread.previousKey === undefined ? undefined : index(writes.unread.previousKey, ['hash']),
    mustKnow: writes.unread.mustKnowPlace,
  };
  const plan = { version: writes.version, now: String(settings.now), set, del, rem, add, row, prev, unread };
  return { keys, plan: JSON.stringify(plan), expectedTypes };
}

/** One script may touch these keys on a Redis Cluster: they all carry the same {hash tag}. */
export function shareOneSlot(keys: string[]): boolean {
  const tag = hashTagOf(keys[0] ?? '');
  return tag !== undefined && keys.every((key) => hashTagOf(key) === tag);
}
