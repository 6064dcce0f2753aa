import {
  columnOf,
  comparePositions,
  quoteIdent,
  type ChangeEvent,
  type Row,
  type SnapshotReader,
} from '@distributary/core';
import { REFS_FIELD, buildDocumentNow, refKey, type RelatedRows } from '../document/build-document';
import type { DocumentSpec, Relation } from '../document/document-spec';
import { DocumentText } from '../document/document-json';
import { tupleKey } from './row-match';
import { versionOf } from '../version';
import type { PlanContext } from './plan-context';
import type { LookupCache } from './lookup-cache';
import { PlannedWrites, type PlannedWrite } from './planned-writes';
import { RootTriggers, type Trigger } from './root-triggers';
import { ownRow } from './event-roots';
import type { QueryDslQueryContainer } from '@elastic/elasticsearch/lib/api/types';
import { DOCS_PER_YIELD, yieldToLoop } from './yield-to-loop';

/**
 * Sinks with joins: every event (root, lookup or child) names the root rows it affects; those are
 * re-read from the source in ONE snapshot per batch (one query for all roots, one per relation) and
 * their documents rebuilt. A document gets the highest commit LSN among the events that triggered it;
 * it was read after all of them committed, so it reflects every event at or below its version (events
 * of other partitions included), and any later event re-reads it again with a higher version.
 *
 * Finding affected roots: through the foreign keys in `after` and `before`; when the old foreign key
 * is unknown (a delete or update without a full `before`), through the documents that reference the
 * related row (REFS_FIELD), so child deletes and re-parenting reach the old parent too. A root row
 * that no longer exists deletes its document with the triggering version. Such index searches (and a
 * root TRUNCATE: every document) are read a page at a time, each page's roots re-read in one snapshot
 * and written before the next page; a TRUNCATE of a lookup or child table is a fan-out to every root.
 *
 * Written once at bootstrap: rows of lookup and child tables from the INITIAL snapshot do not fan out.
 * That snapshot reads every published table (the root included) at one point S, so every root row
 * that existed at S comes as its own 'r' event (version S) and its re-read, made after S, already
 * joins the related rows' state at S or newer. A root inserted after S comes as its own event too.
 * Within a batch a document is written once whatever mix of its own events and fan-outs touched it.
 *
 * Fan-out (roots reached through a changed lookup or child, any number): with the durable queue
 * (context.deferFanOut, fan-out/) the batch only marks the condition dirty and a background pass
 * re-indexes its roots once for any number of changes; without it, the batch pages through them.
 */

/** Documents to find in the index, and the change that makes their roots stale. */
interface IndexSearch {
  query: QueryDslQueryContainer;
  version: number;
  event: ChangeEvent;
}

function newer(a: Trigger | undefined, b: Trigger | undefined): Trigger | undefined {
  return !a || (b && b.version > a.version) ? b : a;
}

interface RefSearch {
  values: Set<string>;
  version: number;
  event: ChangeEvent;
}

function covers(row: Row | undefined, columns: readonly string[]): boolean {
  return row !== undefined && columns.every((c) => (columnOf(row, c) ?? null) !== null);
}

function rename(row: Row, from: readonly string[], to: readonly string[]): Row {
  const out: Row = {};
  from.forEach((column, i) => (out[to[i]] = row[column]));
  return out;
}

function parseRootRef(root: string, ref: string): string[] | undefined {
  if (!ref.startsWith(`${root}:`)) return undefined;
  const values = JSON.parse(ref.slice(root.length + 1)) as unknown;
  return Array.isArray(values) ? values.map(String) : undefined;
}

/** Roots re-indexed per page of a fan-out (one bulk request's worth). */
const FAN_OUT_PAGE = 1000;

export async function planJoined(events: ChangeEvent[], context: PlanContext): Promise<PlannedWrites> {
  const { spec, source } = context;
  const plan = new PlannedWrites();
  const triggers = new RootTriggers();
  const rootKey = source.cachedInfo(spec.root).primaryKey;
  const searches = new Map<string, RefSearch>();
  let rootTruncate: { version: number; event: ChangeEvent } | undefined; // the newest: it covers older ones
  const pageSize = context.pageSize ?? FAN_OUT_PAGE;

  const search = (field: string, value: string | undefined, version: number, event: ChangeEvent): void => {
    if (value === undefined) return;
    const s = searches.get(field) ?? { values: new Set<string>(), version, event };
    s.values.add(value);
    if (version >= s.version) Object.assign(s, { version, event });
    searches.set(field, s);
  };

  const relationsOf = new Map<string, Relation[]>();
  for (const relation of spec.relations)
    relationsOf.set(relation.table, [...(relationsOf.get(relation.table) ?? []), relation]);
  let newest = 0;
  for (const event of events) {
    const version = versionOf(event.pos.lsn);
    if (version > newest) newest = version;
    if (event.table === spec.root) {
      if (event.op === 't' && (!rootTruncate || version >= rootTruncate.version)) rootTruncate = { version, event };
      for (const row of [event.key, event.before, event.after]) {
        if (row && covers(row, rootKey)) triggers.add(rootKey, row, version, event);
      }
    }
    if (event.op === 'r' && event.snapshot === 'initial' && event.table !== spec.root) continue;
    for (const relation of relationsOf.get(event.table) ?? []) {
      if (event.op === 't') {
        // any root may have joined a row of the emptied table: every root, as a fan-out (paged or
        // the durable pass), never a search of the whole index
        triggers.add([], {}, version, event);
        continue;
      }
      for (const row of [event.after, event.before, event.key]) {
        if (row && covers(row, relation.relatedColumns)) {
          triggers.add(
            relation.rootColumns,
            rename(row, relation.relatedColumns, relation.rootColumns),
            version,
            event,
          );
        }
      }
      // the old join values are unknown only when neither the old row nor the key holds them (the key
      // of a 'u' is also its old key: a key change comes as 'd' + 'c'), e.g. a re-parented child
      if (
        (event.op === 'u' || event.op === 'd') &&
        !covers(event.before, relation.relatedColumns) &&
        !covers(event.key, relation.relatedColumns)
      ) {
        const relatedKey = source.cachedInfo(relation.table).primaryKey;
        const ref = refKey(relation.table, { ...event.before, ...event.key }, relatedKey);
        // documents without the refs (none needed them when the index was made): every root instead
        if (!spec.refs && ref !== undefined) triggers.add([], {}, version, event);
        else search(`${REFS_FIELD}.${relation.name}`, ref, version, event);
      }
    }
  }

  // documents to find in the index: every one after a root truncate; those referencing a related row
  // whose old join values are unknown (a re-parented or deleted child without its old image)
  const searchQueries: IndexSearch[] = [...searches].map(([field, s]) => ({
    query: { terms: { [field]: [...s.values] } },
    version: s.version,
    event: s.event,
  }));
  if (rootTruncate) searchQueries.push({ query: { match_all: {} }, ...rootTruncate });

  if (triggers.size === 0 && searchQueries.length === 0) return plan;
  // taken before the snapshot begins: every event up to it committed before the snapshot
  const shared = context.lookups && {
    cache: context.lookups.cache,
    floor: context.lookups.floor.value,
    version: newest,
  };
  const keys = { primaryKey: (t: string) => source.cachedInfo(t).primaryKey };
  // the roots named by the batch's events (bounded by the batch) and the version each was written at
  const written = new Map<string, number>();
  /** `paged`: a page of a fan-out or index search, any number of roots: not remembered (memory stays
   *  one page), written strictly (version_type external), so a root another page or the batch already
   *  wrote at that version is left alone. */
  const build = async (
    reader: SnapshotReader,
    roots: Row[],
    into: PlannedWrites,
    paged = false,
    triggerOf = (row: Row): Trigger | undefined => triggers.triggerFor(row),
  ): Promise<void> => {
    await buildWith(await readRelated(spec, reader, roots, keys.primaryKey, shared), roots, into, paged, triggerOf);
  };
  const buildWith = async (
    related: RelatedRows,
    roots: Row[],
    into: PlannedWrites,
    paged = false,
    triggerOf = (row: Row): Trigger | undefined => triggers.triggerFor(row),
  ): Promise<void> => {
    let built = 0;
    for (const row of roots) {
      if (++built % DOCS_PER_YIELD === 0) await yieldToLoop();
      const trigger = triggerOf(row);
      if (!trigger) continue;
      try {
        const id = spec.id.render(row);
        const seen = written.get(id);
        if (seen !== undefined && seen >= trigger.version) continue; // this batch wrote it at that version
        if (!paged) written.set(id, trigger.version);
        // the JSON text straight from the rows when certain (document-json.ts), else the document
        const text = spec.json?.(row, related, keys);
        const built = text === undefined ? buildDocumentNow(spec, row, related, keys) : new DocumentText(text);
        const write: PlannedWrite = {
          action: 'index',
          id,
          version: trigger.version,
          document: built instanceof Promise ? await built : built, // a promise only when JSONata runs
          event: trigger.event,
        };
        if (paged) write.strict = true; // set, not spread: no copy per document
        into.put(write);
      } catch (error) {
        into.reject(trigger.event, error);
      }
    }
  };
  // roots named by their key: as many as the batch's events. Those whose newest trigger is their own
  // change are built from its row (event-roots.ts); the others are re-read, all in one snapshot, and
  // no snapshot at all is taken when none is re-read and every joined row is in the lookup cache
  const rootInfo = source.cachedInfo(spec.root);
  // a root whose newest own event came before a root TRUNCATE of the batch (same transaction: same
  // version) may be gone: it is re-read, never built from that event's row
  const truncatedAt = rootTruncate?.event.pos;
  const direct = triggers.splitDirect(rootKey, (trigger) =>
    truncatedAt && comparePositions(trigger.event.pos, truncatedAt) < 0 ? undefined : ownRow(trigger, rootInfo),
  );
  const reread = direct.read.some((c) => c.tuples.length > 0);
  const cached = reread ? undefined : cachedRelated(spec, direct.own, shared);
  if (cached) await buildWith(cached, direct.own, plan);
  else if (reread || direct.own.length > 0) {
    await source.snapshot(async (reader) =>
      build(reader, [...direct.own, ...(reread ? await reader.select(spec.root, direct.read) : [])], plan),
    );
  }
  for (const trigger of triggers.addressable(spec.id.columns)) {
    const id = spec.id.render(trigger.tuple);
    if (!written.has(id)) plan.put({ action: 'delete', id, version: trigger.version, event: trigger.event });
  }
  const emit = async (page: PlannedWrites): Promise<void> => {
    if (context.writePage) return context.writePage(page.list(), page.rejected);
    for (const write of page.list()) plan.put(write);
    plan.rejected.push(...page.rejected);
  };
  // documents found in the index, a page at a time: each page's roots re-read in one snapshot and
  // written before the next page is fetched; a found document whose root row is gone is deleted
  // (documents without the root's reference, found only by a root truncate: deleted at its version,
  // strictly, so what the truncating transaction or a later one wrote stays)
  for (const { query, version, event } of searchQueries) {
    const scan = spec.refs ? context.scanDocuments : undefined; // in root key order: needs the refs
    const pages = scan?.(query, pageSize) ?? context.findDocuments(query, pageSize);
    for await (const docs of pages) {
      const found = new RootTriggers();
      const ids = new Map<string, string>();
      const page = new PlannedWrites();
      for (const doc of docs) {
        const values = doc.rootRef ? parseRootRef(spec.root, doc.rootRef) : undefined;
        if (!values || values.length !== rootKey.length) {
          if (query.match_all) page.put({ action: 'delete', id: doc.id, version, event, strict: true });
          continue;
        }
        const tuple = Object.fromEntries(rootKey.map((c, i) => [c, values[i]]));
        found.add(rootKey, tuple, version, event);
        ids.set(tupleKey(tuple, rootKey) ?? '', doc.id);
      }
      if (found.size === 0) {
        if (page.list().length > 0) await emit(page);
        continue;
      }
      await source.snapshot(async (reader) => {
        const rows = await reader.select(spec.root, found.direct(rootKey));
        for (const row of rows) ids.delete(tupleKey(row, rootKey) ?? '');
        await build(reader, rows, page, true, (row) => newer(found.triggerFor(row), triggers.triggerFor(row)));
      });
      for (const id of ids.values()) page.put({ action: 'delete', id, version, event, strict: true });
      await emit(page);
    }
  }
  // roots reached through a changed lookup or child (any number): in key order, one page at a time,
  // each page read in its own snapshot (taken after every triggering event committed) and written
  // before the next is read, so memory stays bounded and the event loop is never held for long
  const fanOut = triggers.fanOut(rootKey);
  if (fanOut.length === 0) return plan;
  if (context.deferFanOut) {
    const marks = triggers.fanOutTriggers(rootKey).map(({ columns, trigger }) => ({
      condition: { columns, tuple: trigger.tuple },
      version: trigger.version,
      event: trigger.event,
    }));
    await context.deferFanOut(marks);
    return plan;
  }
  let after: Row | undefined;
  for (;;) {
    const page = new PlannedWrites();
    const roots = await source.snapshot(async (reader) => {
      const rows = await reader.select(spec.root, fanOut, [], { key: rootKey, after, limit: pageSize });
      await build(reader, rows, page, true);
      return rows;
    });
    await emit(page);
    if (roots.length < pageSize) return plan;
    const last = roots[roots.length - 1];
    after = Object.fromEntries(rootKey.map((c) => [c, last[c]]));
  }
}

/** Lookup reads through the shared cache: entries read at `floor`, used for versions up to `version`. */
export interface SharedLookups {
  cache: LookupCache;
  floor: number;
  version: number;
}

export async function readRelated(
  spec: DocumentSpec,
  reader: SnapshotReader,
  roots: Row[],
  primaryKey: (table: string) => readonly string[],
  shared?: SharedLookups,
): Promise<RelatedRows> {
  const related: RelatedRows = new Map();
  for (const relation of spec.relations) {
    const grouped = new Map<string, Row[]>();
    const tuples: Row[] = [];
    const wanted = new Set<string>();
    for (const root of roots) {
      if (!covers(root, relation.rootColumns)) continue;
      const tuple = rename(root, relation.rootColumns, relation.relatedColumns);
      const key = tupleKey(tuple, relation.relatedColumns);
      if (key === undefined || wanted.has(key)) continue;
      wanted.add(key);
      const cached = relation.kind === 'lookup' ? shared?.cache.get(relation.name, key, shared.version) : undefined;
      if (cached) grouped.set(key, cached);
      else tuples.push(tuple);
    }
    const rows = await reader.select(
      relation.table,
      [{ columns: relation.relatedColumns, tuples }],
      orderOf(relation, primaryKey),
    );
    const read = new Map<string, Row[]>();
    for (const row of rows) {
      const key = tupleKey(row, relation.relatedColumns);
      if (key === undefined) continue;
      const group = read.get(key);
      if (group) group.push(row);
      else read.set(key, [row]);
    }
    for (const [key, group] of read) grouped.set(key, group);
    if (relation.kind === 'lookup' && shared) {
      for (const tuple of tuples) {
        const key = tupleKey(tuple, relation.relatedColumns);
        if (key !== undefined) shared.cache.put(relation.name, key, read.get(key) ?? [], shared.floor);
      }
    }
    related.set(relation.name, grouped);
  }
  return related;
}

/**
 * The joined rows of `roots` when every relation is a lookup and each of their join keys is in the
 * shared cache at a floor covering `shared.version` (see LookupCache): no source read is needed.
 */
export function cachedRelated(spec: DocumentSpec, roots: Row[], shared?: SharedLookups): RelatedRows | undefined {
  if (!shared) return undefined;
  const related: RelatedRows = new Map();
  for (const relation of spec.relations) {
    if (relation.kind !== 'lookup') return undefined;
    const grouped = new Map<string, Row[]>();
    for (const root of roots) {
      if (!covers(root, relation.rootColumns)) continue;
      const key = tupleKey(root, relation.rootColumns);
      if (key === undefined || grouped.has(key)) continue;
      const rows = shared.cache.get(relation.name, key, shared.version);
      if (!rows) return undefined;
      grouped.set(key, rows);
    }
    related.set(relation.name, grouped);
  }
  return related;
}

function orderOf(relation: Relation, primaryKey: (table: string) => readonly string[]): string[] {
  const quote = (c: string): string => `t.${quoteIdent(c)}`;
  return [
    ...relation.orderBy.map((o) => `${quote(o.column)} ${o.direction}`),
    ...primaryKey(relation.table).map((c) => quote(c)),
  ];
}
