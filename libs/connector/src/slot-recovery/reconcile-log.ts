import { decodeEvent, idToPosition, type ChangeEvent, type Lsn } from '@distributary/core';
import type { LogKeys, RedisClient } from '@distributary/changelog';

export interface ReconcileOptions {
  redis: RedisClient;
  keys: LogKeys;
  partitions: number;
  /** Tables the re-snapshot read (only their keys are reconciled). */
  tables: readonly string[];
  /** The re-sync's consistent point. */
  lsn: Lsn;
  /** First free seq at `lsn` (after the snapshot rows). */
  firstSeq: number;
  append(events: ChangeEvent[]): Promise<void>;
  /** Entries read per XRANGE page. */
  pageSize?: number;
}

export interface ReconcileResult {
  scanned: number;
  deleted: number;
  /** Deletes per table. */
  byTable: Record<string, number>;
}

type Entry = [string, string[]];

function field(flat: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i] === name) return flat[i + 1];
  return undefined;
}

/**
 * Reconciliation after a re-sync. THE RULE: once every published table has been re-read into the log
 * at the new consistent point P (snapshot rows carry version P), a key whose latest log event is an
 * insert/update/read *older than P* was not seen by the re-snapshot, so it was deleted in the gap the
 * lost slot could not stream. It gets a delete at (P, seq) — after every snapshot row and before any
 * change streamed from the new slot (those all commit after P). Sinks apply it like any delete, so
 * every derived store (index documents, cache keys, view groups) drops the row, and because the delete
 * is versioned at P nothing written after the re-sync point can be removed by it.
 *
 * Emits the deletes of keys the re-snapshot did not see (see the rule above).
 */
export async function reconcileLog(options: ReconcileOptions): Promise<ReconcileResult> {
  const tables = new Set(options.tables);
  const pageSize = options.pageSize ?? 5000;
  const result: ReconcileResult = { scanned: 0, deleted: 0, byTable: {} };
  let seq = options.firstSeq;
  for (let p = 0; p < options.partitions; p++) {
    const stream = options.keys.partition(p);
    // canonical key -> id of its latest entry, for keys whose latest entry is a live row older than P.
    const stale = new Map<string, string>();
    let from = '-';
    for (;;) {
      const page = (await options.redis.xrange(stream, from, '+', 'COUNT', pageSize)) as Entry[];
      for (const [id, flat] of page) {
        result.scanned++;
        const op = field(flat, 'o');
        const key = field(flat, 'k');
        if (op === 't') {
          const table = decodeEvent(id, { e: field(flat, 'e') ?? '{}' }).table;
          for (const k of [...stale.keys()]) if (k.startsWith(`${table}:`)) stale.delete(k);
          continue;
        }
        if (!key) continue;
        if (op !== 'd' && idToPosition(id).lsn < options.lsn) stale.set(key, id);
        else stale.delete(key);
      }
      if (page.length < pageSize) break;
      from = `(${page[page.length - 1][0]}`;
    }
    const deletes: ChangeEvent[] = [];
    for (const id of stale.values()) {
      const [entry] = (await options.redis.xrange(stream, id, id)) as Entry[];
      if (!entry) continue;
      const event = decodeEvent(entry[0], Object.fromEntries(pairs(entry[1])));
      if (!tables.has(event.table)) continue;
      deletes.push({
        pos: { lsn: options.lsn, seq: seq++ },
        op: 'd',
        table: event.table,
        key: event.key,
        before: event.after ?? event.key,
        commitTs: new Date().toISOString(),
        snapshot: 'resync',
      });
      result.byTable[event.table] = (result.byTable[event.table] ?? 0) + 1;
      if (deletes.length >= 500) await options.append(deletes.splice(0));
    }
    if (deletes.length) await options.append(deletes);
  }
  result.deleted = Object.values(result.byTable).reduce((a, b) => a + b, 0);
  return result;
}

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}
