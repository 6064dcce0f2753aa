import type { RedisClient } from '@distributary/changelog';
import { EventRejectedError } from '@distributary/core';
import type { CachedValue } from '../plan/cached-value';
import { withDeadline } from './deadline';
import { planEventWrites, shareOneSlot, type EventWrites, type ScriptPlan } from '../plan/event-writes';
import { scripts } from './lua-script';
import type { Membership } from '../plan/query-cache';
import { writeRowState } from '../plan/row-state';
import { VALUE_VERSION_SUFFIX, companionKey, groupKeys, printableKey } from '../target/slots';

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

  /**
   * All the writes of one event. On a single Redis (and on a Cluster when every key carries one
   * {hash tag}) they run as ONE script, apply-event.lua, which type-checks every key before its first
   * write: a WRONGTYPE leaves nothing of the event written. Across cluster slots no script can
   * span the keys: the types are checked first here, then the single-key scripts run with the row
   * record last (a transient failure in between is retried as a whole and converges; a key changed
   * to a wrong type in that instant is the remaining, documented window). True when applied.
   */
  async applyEvent(writes: EventWrites): Promise<boolean> {
    const planned = this.plan(writes);
    if (this.oneScript(planned)) return (await this.runScript(planned)) === 1;
    await this.checkTypes(planned.expectedTypes);
    return this.applyEventPerKey(writes);
  }

  /**
   * The event's writes planned WITHOUT reading the row records first (`writes.unread`): the script
   * reads them itself, so a typical event costs one round trip. 'needs-state': a record names a place
   * the plan does not cover, or the keys span cluster slots (nothing written; read and plan again);
   * 'unknown-place': a delete whose cache key nothing names (reject it).
   */
  async applyEventUnread(writes: EventWrites): Promise<'applied' | 'stale' | 'needs-state' | 'unknown-place'> {
    const planned = this.plan(writes);
    if (!this.oneScript(planned)) return 'needs-state';
    const recorded = await this.runScript(planned);
    return recorded === 1 ? 'applied' : recorded === 2 ? 'needs-state' : recorded === 3 ? 'unknown-place' : 'stale';
  }

  private plan(writes: EventWrites): ScriptPlan {
    const { ttlMs, tombstoneTtlMs, limits } = this.options;
    return planEventWrites(writes, { ttlMs, tombstoneTtlMs, limits, now: Date.now() });
  }

  private oneScript(planned: ScriptPlan): boolean {
    return (this.client as { isCluster?: boolean }).isCluster !== true || shareOneSlot(planned.keys);
  }

  /** Runs apply-event.lua; returns its `recorded` code and counts the writes it made. */
  private async runScript(planned: ScriptPlan): Promise<number> {
    const reply = (await scripts.applyEvent.run(
      this.client,
      planned.keys,
      [planned.plan],
      this.options.commandTimeoutMs,
    )) as number[];
    const [recorded, sets, deletes, removes, adds] = reply;
    for (const [kind, count] of [
      ['set', sets],
      ['delete', deletes],
      ['group_remove', removes],
      ['group_add', adds],
    ] as const)
      for (let i = 0; i < count; i++) this.onWrite(kind);
    return recorded;
  }

  private async checkTypes(expected: { key: string; types: string[] }[]): Promise<void> {
    const found = await withDeadline(
      'TYPE checks',
      this.options.commandTimeoutMs,
      Promise.all(expected.map(({ key }) => this.client.type(key))),
    );
    const problems = expected
      .map(({ key, types }, i) =>
        found[i] === 'none' || types.includes(found[i]) ? '' : `${printableKey(key)} holds a ${found[i]}`,
      )
      .filter(Boolean);
    if (problems.length)
      throw new EventRejectedError(`WRONGTYPE ${problems.join('; ')} (nothing of this event was written)`);
  }

  private async applyEventPerKey(writes: EventWrites): Promise<boolean> {
    const { version } = writes;
    const [valueWritten, ...removed] = await Promise.all([
      writes.value ? this.writeValue(writes.value.key, version, writes.value.value) : Promise.resolve(true),
      ...writes.deleteKeys.map((key) => this.deleteValue(key, version)),
      ...writes.removeMemberships.map(([group, member]) => this.removeMember(group, member, version)),
      ...writes.addMemberships.map((m) => this.addMember(m, version)),
    ]);
    if (!valueWritten) return false;
    const removals = removed.slice(0, writes.deleteKeys.length + writes.removeMemberships.length);
    if (!writes.value && removals.length > 0 && removals.every((done) => !done)) return false;
    const options = { tombstoneTtlMs: this.options.tombstoneTtlMs, timeoutMs: this.options.commandTimeoutMs };
    if (writes.previousRow) await writeRowState(this.client, writes.previousRow.key, writes.previousRow.state, options);
    return writeRowState(this.client, writes.row.key, writes.row.state, options);
  }

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
