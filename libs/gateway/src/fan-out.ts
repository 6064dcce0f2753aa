/**
 * In-memory fan-out of the gateway's one log tail to its subscribers. A change touches only its
 * candidates: subscribers of its table that are still starting or resumed (they must see every
 * entry of the table), subscribers without an indexable filter, subscribers whose equality filter
 * (`column = :param`) value equals the row's value before or after the change, and subscribers whose
 * clients hold the key (so a row leaving the filter reaches them). TRUNCATE reaches every subscriber
 * of the table. A transaction's entries reach a subscriber together (one queued group).
 */
import { canonicalKey, columnOf } from '@distributary/core';
import type { LogEntry } from '@distributary/changelog';
import { indexKey } from './subscription-filter';
import type { Subscriber } from './subscriber';
import type { GroupItem, TxGroup } from './tx-assembler';

interface TableIndex {
  broad: Set<Subscriber>;
  /** column → value key → subscribers */
  byValue: Map<string, Map<string, Set<Subscriber>>>;
  /** canonical key → subscribers whose clients hold it */
  holders: Map<string, Set<Subscriber>>;
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set?.delete(value) && set.size === 0) map.delete(key);
}

export class FanOut {
  private readonly tables = new Map<string, TableIndex>();
  /** How each subscriber is placed, to undo it. */
  private readonly placed = new Map<Subscriber, () => void>();

  get subscriberCount(): number {
    return this.placed.size;
  }

  private table(name: string): TableIndex {
    let index = this.tables.get(name);
    if (!index) this.tables.set(name, (index = { broad: new Set(), byValue: new Map(), holders: new Map() }));
    return index;
  }

  /** (Re)places a subscriber by its mode: closed ones leave, indexed live ones go by value. */
  place(subscriber: Subscriber): void {
    this.placed.get(subscriber)?.();
    this.placed.delete(subscriber);
    if (subscriber.mode === 'closed') return;
    const index = this.table(subscriber.table);
    const equality = subscriber.filter.subscription.equality;
    const value = subscriber.filter.indexKey;
    if (subscriber.mode === 'live' && !subscriber.lazy && equality && value !== undefined) {
      let byColumn = index.byValue.get(equality.column);
      if (!byColumn) index.byValue.set(equality.column, (byColumn = new Map()));
      addTo(byColumn, value, subscriber);
      this.placed.set(subscriber, () => removeFrom(byColumn, value, subscriber));
    } else {
      index.broad.add(subscriber);
      this.placed.set(subscriber, () => index.broad.delete(subscriber));
    }
  }

  hold(subscriber: Subscriber, key: string, held: boolean): void {
    const holders = this.table(subscriber.table).holders;
    if (held) addTo(holders, key, subscriber);
    else removeFrom(holders, key, subscriber);
  }

  /** Hands a transaction to its candidates: each gets the group's entries that concern it, once. */
  dispatch(group: TxGroup): void {
    const shares = new Map<Subscriber, GroupItem[]>();
    for (const item of group.items) {
      for (const subscriber of this.candidates(item.entry)) {
        const share = shares.get(subscriber);
        if (share) share.push(item);
        else shares.set(subscriber, [item]);
      }
    }
    for (const [subscriber, items] of shares) subscriber.enqueue({ items, vector: group.vector });
  }

  private candidates(entry: LogEntry): Set<Subscriber> {
    const event = entry.event;
    const index = this.tables.get(event.table);
    const candidates = new Set<Subscriber>(index?.broad);
    if (!index) return candidates;
    if (event.op === 't') {
      for (const byColumn of index.byValue.values())
        for (const set of byColumn.values()) for (const s of set) candidates.add(s);
    } else {
      for (const [column, byColumn] of index.byValue) {
        for (const row of [event.before, event.after]) {
          const key = row ? indexKey(columnOf(row, column)) : undefined;
          const set = key !== undefined ? byColumn.get(key) : undefined;
          if (set) for (const s of set) candidates.add(s);
        }
      }
      const holders = index.holders.get(canonicalKey(event.table, event.key));
      if (holders) for (const s of holders) candidates.add(s);
    }
    return candidates;
  }
}
