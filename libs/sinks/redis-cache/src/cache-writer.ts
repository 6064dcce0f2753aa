import type { RedisClient } from '@distributary/changelog';
import type { CachedValue } from './cached-value';
import { scripts } from './lua-script';
import type { Membership } from './query-cache';
import { VALUE_VERSION_SUFFIX, companionKey, groupKeys } from './slots';

export interface WriterOptions {
  /** Value TTL in ms; 0 = none. */
  ttlMs: number;
  tombstoneTtlMs: number;
  /** A script without a reply after this long fails (the batch is retried). */
  commandTimeoutMs: number;
  /** Top-N cap and order per query index. */
  limits: { limit: number; order: 'asc' | 'desc' }[];
}

export type WriteKind = 'set' | 'delete' | 'group_add' | 'group_remove';

/**
 * The four version-guarded writes, each one Lua script over keys of a single hash slot. Each returns
 * true when it wrote and false when a newer version was already there.
 */
export class CacheWriter {
  constructor(
    private readonly client: RedisClient,
    private readonly options: WriterOptions,
    private readonly onWrite: (kind: WriteKind) => void = () => undefined,
  ) {}

  async writeValue(key: string, version: string, value: CachedValue): Promise<boolean> {
    const { ttlMs, tombstoneTtlMs } = this.options;
    // With a TTL the version outlives the value by the tombstone TTL, so a late older write that
    // arrives just after expiry is still refused.
    const versionTtlMs = ttlMs > 0 ? ttlMs + tombstoneTtlMs : 0;
    const payload = value.format === 'json' ? [value.document] : value.pairs;
    const written = await scripts.writeValue.run(
      this.client,
      [key, companionKey(key, VALUE_VERSION_SUFFIX)],
      [version, value.format, ttlMs, versionTtlMs, ...payload],
      this.options.commandTimeoutMs,
    );
    return this.count(written, 'set');
  }

  async deleteValue(key: string, version: string): Promise<boolean> {
    const written = await scripts.deleteValue.run(
      this.client,
      [key, companionKey(key, VALUE_VERSION_SUFFIX)],
      [version, this.options.tombstoneTtlMs],
      this.options.commandTimeoutMs,
    );
    return this.count(written, 'delete');
  }

  async addMember(membership: Membership, version: string): Promise<boolean> {
    const keys = groupKeys(membership.group);
    const { limit, order } = this.options.limits[membership.query] ?? { limit: 0, order: 'desc' };
    const written = await scripts.groupAdd.run(
      this.client,
      [keys.group, keys.versions, keys.tombstones],
      [
        membership.member,
        version,
        membership.score === undefined ? 'set' : 'zset',
        membership.score ?? '0',
        limit,
        order,
        Date.now(),
      ],
      this.options.commandTimeoutMs,
    );
    return this.count(written, 'group_add');
  }

  async removeMember(group: string, member: string, version: string): Promise<boolean> {
    const keys = groupKeys(group);
    const written = await scripts.groupRemove.run(
      this.client,
      [keys.group, keys.versions, keys.tombstones],
      [member, version, this.options.tombstoneTtlMs, Date.now()],
      this.options.commandTimeoutMs,
    );
    return this.count(written, 'group_remove');
  }

  private count(reply: unknown, kind: WriteKind): boolean {
    if (reply !== 1) return false;
    this.onWrite(kind);
    return true;
  }
}
