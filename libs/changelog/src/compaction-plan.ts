/**
 * Which entries a compaction pass may remove (Kafka's log-compaction guarantees):
 * - the latest event of every key is kept; an older one is removed once superseded by a later event
 *   of the same key or by a later truncate of its table ('t' ends every earlier key of the table);
 * - a delete (or truncate) that is the latest of its key (table) is a tombstone: kept until it is
 *   older than the tombstone retention, then removed together with everything it superseded;
 * - nothing above `removableUpTo` is touched (minLag, and the slowest sink's committed position);
 * - order and IDs never change: entries are only removed, in ascending ID order.
 * A consumer reading the result from the start therefore ends with exactly the current state.
 */
import { compareIds } from '@distributary/core';

export interface PlanEntry {
  id: string;
  /** Canonical key (`k` field): `<table>:<key JSON>`. */
  key: string;
  op: string;
  size: number;
}

export interface CompactionBounds {
  /** Highest ID that may be removed at all; undefined = nothing may be removed. */
  removableUpTo?: string;
  /** Highest ID of a tombstone that may be removed; undefined = keep every tombstone. */
  tombstonesUpTo?: string;
}

export interface CompactionPlan {
  remove: string[];
  bytes: number;
  superseded: number;
  tombstones: number;
}

export function tableOfKey(canonicalKey: string): string {
  const at = canonicalKey.indexOf(':[');
  return at < 0 ? canonicalKey : canonicalKey.slice(0, at);
}

const atOrBelow = (id: string, bound: string | undefined): boolean => bound !== undefined && compareIds(id, bound) <= 0;

/** `entries` must be the whole partition in ascending ID order (newer entries decide what is superseded). */
export function planCompaction(entries: readonly PlanEntry[], bounds: CompactionBounds): CompactionPlan {
  const latestOfKey = new Map<string, string>();
  const latestTruncate = new Map<string, string>();
  for (const entry of entries) {
    if (entry.op === 't') latestTruncate.set(tableOfKey(entry.key), entry.id);
    else latestOfKey.set(entry.key, entry.id);
  }
  const plan: CompactionPlan = { remove: [], bytes: 0, superseded: 0, tombstones: 0 };
  for (const entry of entries) {
    if (!atOrBelow(entry.id, bounds.removableUpTo)) break;
    const truncate = latestTruncate.get(tableOfKey(entry.key));
    const endedByTruncate = truncate !== undefined && compareIds(entry.id, truncate) < 0;
    let remove = false;
    if (endedByTruncate || (entry.op !== 't' && latestOfKey.get(entry.key) !== entry.id)) {
      remove = true;
      plan.superseded++;
    } else if ((entry.op === 'd' || entry.op === 't') && atOrBelow(entry.id, bounds.tombstonesUpTo)) {
      remove = true;
      plan.tombstones++;
    }
    if (remove) {
      plan.remove.push(entry.id);
      plan.bytes += entry.size;
    }
  }
  return plan;
}
