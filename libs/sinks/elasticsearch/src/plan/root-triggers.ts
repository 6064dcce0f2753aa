import type { ChangeEvent, Row, RowCondition } from '@distributary/core';
import { tupleKey } from './row-match';

/** Why a root row must be re-read: the event (and its version) that touched it through some columns. */
export interface Trigger {
  tuple: Row;
  version: number;
  event: ChangeEvent;
}

interface Group {
  columns: string[];
  tuples: Map<string, Trigger>;
}

/**
 * The root rows a batch affects, as conditions over root columns (by primary key, or by the root's
 * join columns, e.g. every product with category_id = 3), each with the highest triggering version.
 */
export class RootTriggers {
  private readonly groups = new Map<string, Group>();

  add(columns: readonly string[], tuple: Row, version: number, event: ChangeEvent): void {
    const name = groupName(columns);
    let group = this.groups.get(name);
    if (!group) {
      group = { columns: [...columns], tuples: new Map() };
      this.groups.set(name, group);
    }
    const key = tupleKey(tuple, columns);
    if (key === undefined) return;
    const existing = group.tuples.get(key);
    if (!existing || version >= existing.version) group.tuples.set(key, { tuple, version, event });
  }

  get size(): number {
    let n = 0;
    for (const group of this.groups.values()) n += group.tuples.size;
    return n;
  }

  conditions(): RowCondition[] {
    return [...this.groups.values()].map((g) => condition(g));
  }

  /** Conditions that name roots by a key covering `key` (one row each: as many as events in the batch). */
  direct(key: readonly string[]): RowCondition[] {
    return [...this.groups.values()].filter((g) => covers(g, key)).map((g) => condition(g));
  }

  /**
   * The roots named by a key covering `key`, split: `own` are the rows `rowOf` finds for their newest
   * trigger (the root's own change carrying its row, see event-roots.ts); `read` are the conditions
   * for the others, to be re-read from the source.
   */
  splitDirect(
    key: readonly string[],
    rowOf: (trigger: Trigger) => Row | undefined,
  ): { own: Row[]; read: RowCondition[] } {
    const own: Row[] = [];
    const read: RowCondition[] = [];
    for (const group of this.groups.values()) {
      if (!covers(group, key)) continue;
      const tuples: Row[] = [];
      for (const trigger of group.tuples.values()) {
        const row = rowOf(trigger);
        if (row) own.push(row);
        else tuples.push(trigger.tuple);
      }
      read.push({ columns: group.columns, tuples });
    }
    return { own, read };
  }

  /** Conditions by other root columns (e.g. every product of category 3): any number of roots each. */
  fanOut(key: readonly string[]): RowCondition[] {
    return [...this.groups.values()].filter((g) => !covers(g, key)).map((g) => condition(g));
  }

  /** The fan-out conditions one by one (columns and tuple), each with its newest trigger. */
  fanOutTriggers(key: readonly string[]): { columns: string[]; trigger: Trigger }[] {
    return [...this.groups.values()]
      .filter((g) => !covers(g, key))
      .flatMap((g) => [...g.tuples.values()].map((trigger) => ({ columns: g.columns, trigger })));
  }

  /** The newest trigger that matches a root row read from the source. */
  triggerFor(row: Row): Trigger | undefined {
    let best: Trigger | undefined;
    for (const group of this.groups.values()) {
      const key = tupleKey(row, group.columns);
      const trigger = key === undefined ? undefined : group.tuples.get(key);
      if (trigger && (!best || trigger.version > best.version)) best = trigger;
    }
    return best;
  }

  /** Triggers whose columns determine a document id (so a missing row means: delete that document). */
  addressable(idColumns: readonly string[]): Trigger[] {
    return [...this.groups.values()]
      .filter((g) => idColumns.every((c) => g.columns.includes(c)))
      .flatMap((g) => [...g.tuples.values()]);
  }
}

/** The spec's column lists are fixed arrays: each one's JSON is built once, not per event (add). */
const groupNames = new WeakMap<readonly string[], string>();

function groupName(columns: readonly string[]): string {
  let name = groupNames.get(columns);
  if (name === undefined) {
    name = JSON.stringify(columns);
    groupNames.set(columns, name);
  }
  return name;
}

function condition(group: Group): RowCondition {
  return { columns: group.columns, tuples: [...group.tuples.values()].map((t) => t.tuple) };
}

function covers(group: Group, key: readonly string[]): boolean {
  return key.every((c) => group.columns.includes(c));
}
