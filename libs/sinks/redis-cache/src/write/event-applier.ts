import type { RedisClient } from '@distributary/changelog';
import { EventRejectedError, type ChangeEvent, type Row } from '@distributary/core';
import type { CacheModel, CachedRow } from '../plan/cache-model';
import type { CacheWriter } from './cache-writer';
import type { EventWrites } from '../plan/event-writes';
import { membershipId } from '../plan/query-cache';
import { readRowState, rowStateKey, writeRowState, type RowState } from '../plan/row-state';
import { versionOf } from '../version';

export type EventOutcome = 'applied' | 'stale';

/**
 * Applies one change event to the cache, idempotently.
 *
 * Invariant: an event never overwrites what a newer event of the same row wrote. Every write is a
 * compare-and-set on the event's version (see version.ts), and the row's bookkeeping record is
 * written last, so redelivering any stretch of the log — whole or cut short by a crash — converges
 * to the state of the newest event. Everything an event needs is rendered before the first write:
 * an event that cannot be rendered is rejected with nothing written. Its writes — value, group
 * memberships, row record — then go in one script (CacheWriter.applyEvent, apply-event.lua) that
 * type-checks every key first: an event rejected by Redis (WRONGTYPE) leaves nothing half-written.
 * The script also reads the row's record itself, so a typical event is ONE round trip; only a row
 * whose record names places the event does not (it moved without a `before` image) costs a second.
 */
export class EventApplier {
  constructor(
    private readonly client: RedisClient,
    private readonly model: CacheModel,
    private readonly writer: CacheWriter,
    private readonly options: { tombstoneTtlMs: number; timeoutMs: number },
  ) {}

  async apply(event: ChangeEvent): Promise<EventOutcome> {
    const version = versionOf(event.pos);
    const target = await this.target(event);
    // The old image: `before` where the source sent one (it wins over the new key when a primary
    // key changed), else just the key columns.
    const candidates = this.model.possiblePlaces({ ...event.key, ...(event.before ?? {}) });
    if (event.after && !target) {
      const left = this.model.possiblePlaces(event.after);
      candidates.keys.push(...left.keys);
      candidates.memberships.push(...left.memberships);
    }
    const stateKey = rowStateKey(this.model.namespace, event.table, event.key);
    const previousKey = this.previousRowKey(event);

    // One round trip: the script reads the row records itself and applies the plan when they name no
    // place beyond it (the usual case: a new row, or one that stays in its key and groups).
    const unread = await this.writer.applyEventUnread({
      ...this.writes(version, target, candidates, stateKey, undefined),
      unread: { previousKey, mustKnowPlace: event.op === 'd' && candidates.keys.length === 0 },
    });
    if (unread === 'applied' || unread === 'stale') return unread;
    if (unread === 'unknown-place') throw this.unknownPlace();

    // A stored record names places the event does not (a row that moved without `before`), or the
    // keys span cluster slots: read the records, then plan with them (the script re-checks versions).
    const [state, previousState] = await Promise.all([
      readRowState(this.client, stateKey, this.options.timeoutMs),
      previousKey ? readRowState(this.client, previousKey, this.options.timeoutMs) : Promise.resolve(undefined),
    ]);
    if (state && state.version > version) return 'stale';
    if (event.op === 'd' && candidates.keys.length === 0 && !state) throw this.unknownPlace();
    const writes = this.writes(version, target, candidates, stateKey, state, previousState);
    const written = await this.writer.applyEvent({
      ...writes,
      previousRow:
        previousKey && previousState
          ? { key: previousKey, state: { ...previousState, version, gone: true } }
          : undefined,
    });
    return written ? 'applied' : 'stale';
  }

  private unknownPlace(): EventRejectedError {
    return new EventRejectedError(
      `cannot tell which cache key the deleted row had: key template "${this.model.key.source}" needs columns ` +
        `the delete event does not carry (${this.model.key.columns.join(', ')}) and no row state is stored; ` +
        'set REPLICA IDENTITY FULL on the table or build the key from primary-key columns',
    );
  }

  /** The event's writes given the row's stored records (undefined: none known). */
  private writes(
    version: string,
    target: CachedRow | undefined,
    candidates: ReturnType<CacheModel['possiblePlaces']>,
    stateKey: string,
    state: RowState | undefined,
    previousState?: RowState,
  ): EventWrites {
    const removeKeys = new Set(candidates.keys);
    const removeMemberships = new Map<string, [string, string]>();
    for (const m of candidates.memberships) removeMemberships.set(membershipId(m), [m.group, m.member]);
    for (const remembered of [state, previousState]) {
      // A gone record's places were already removed, unless this is the same event again.
      if (!remembered || (remembered.gone && remembered.version !== version)) continue;
      if (remembered.version > version) continue;
      if (remembered.cacheKey) removeKeys.add(remembered.cacheKey);
      for (const [group, member] of remembered.memberships)
        removeMemberships.set(membershipId({ group, member }), [group, member]);
    }
    if (target) removeKeys.delete(target.cacheKey);
    for (const m of target?.memberships ?? []) removeMemberships.delete(membershipId(m));

    const next: RowState = target
      ? {
          version,
          cacheKey: target.cacheKey,
          memberships: target.memberships.map((m) => [m.group, m.member]),
          gone: false,
        }
      : {
          version,
          cacheKey: state && !state.gone ? state.cacheKey : ([...removeKeys][0] ?? ''),
          memberships: [...removeMemberships.values()],
          gone: true,
        };
    return {
      version,
      value: target ? { key: target.cacheKey, value: target.value } : undefined,
      deleteKeys: [...removeKeys],
      removeMemberships: [...removeMemberships.values()],
      addMemberships: target?.memberships ?? [],
      row: { key: stateKey, state: next },
    };
  }

  /** The row-state key of the row's old primary key, when this update changed the primary key. */
  private previousRowKey(event: ChangeEvent): string | undefined {
    const before = event.before;
    if (event.op !== 'u' || !before) return undefined;
    const columns = Object.keys(event.key);
    if (!columns.every((column) => column in before)) return undefined;
    const oldKey = Object.fromEntries(columns.map((column) => [column, before[column]]));
    const oldStateKey = rowStateKey(this.model.namespace, event.table, oldKey);
    return oldStateKey === rowStateKey(this.model.namespace, event.table, event.key) ? undefined : oldStateKey;
  }

  /** Removes a row the source truncated, given its stored record (truncate events carry no key). */
  async removeRemembered(stateKey: string, state: RowState, version: string): Promise<EventOutcome> {
    if (state.version > version || state.gone) return 'stale';
    await Promise.all([
      ...(state.cacheKey ? [this.writer.deleteValue(state.cacheKey, version)] : []),
      ...state.memberships.map(([group, member]) => this.writer.removeMember(group, member, version)),
    ]);
    const recorded = await writeRowState(this.client, stateKey, { ...state, version, gone: true }, this.options);
    return recorded ? 'applied' : 'stale';
  }

  private async target(event: ChangeEvent): Promise<CachedRow | undefined> {
    if (event.op === 'd') return undefined;
    const after: Row | undefined = event.after;
    if (!after) throw new EventRejectedError(`"${event.op}" event without an after image`);
    return this.model.cachedRow(after);
  }
}
