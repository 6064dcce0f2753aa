import type { ChangeEvent, RejectedEvent, Row, SourceRows } from '@distributary/core';
import { buildDocument } from '../document/build-document';
import type { DocumentSpec } from '../document/document-spec';
import { readRelated } from '../plan/joined-plan';
import type { CommittedFloor, LookupCache } from '../plan/lookup-cache';
import type { PlannedWrite } from '../plan/planned-writes';
import type { PendingPass } from './fan-out-store';
import { DOCS_PER_YIELD, yieldToLoop } from '../plan/yield-to-loop';
import { pick } from '../plan/row-match';

export interface PassContext {
  spec: DocumentSpec;
  source: SourceRows;
  lookups: { cache: LookupCache; floor: CommittedFloor };
  /** Roots per page: one snapshot read and one bulk request's worth. */
  pageSize: number;
  /** Writes (and waits for) one page: the next page is read only after it (back-pressure). */
  write(writes: PlannedWrite[], rejected: RejectedEvent[]): Promise<void>;
  /** Called after each written page with the last root key; false = stop here (resumed later). */
  progress(after: Row): Promise<boolean>;
  /** Counts the roots of each written page (status, metrics). */
  reindexed?(roots: number): Promise<void>;
}

/**
 * What a root's write is reported as: an update of that root row at the pass's version. A root that
 * Elasticsearch or the document config refuses is dead-lettered with its own key (and partition), not
 * the lookup change that marked the pass; replaying it re-reads that root from the source.
 */
function rootEvent(pass: PendingPass, root: string, key: Row): ChangeEvent {
  const commitTs = pass.cause?.commitTs;
  return { pos: { lsn: BigInt(pass.version), seq: 0 }, op: 'u', table: root, key, ...(commitTs ? { commitTs } : {}) };
}

function causeText(pass: PendingPass): string {
  const cause = pass.cause;
  return cause ? ` (re-indexed by the fan-out pass of ${cause.table} ${JSON.stringify(cause.key)})` : '';
}

/**
 * One re-index pass over the roots of a dirty condition, at the pass's version V (the newest change
 * of the lookup row that marked it): the roots are read in key order, `pageSize` at a time, each page
 * in its own snapshot taken after V committed (the change is in the log), and written before the next
 * page is read. Memory is one page whatever the number of roots.
 *
 * Exact: a page read after V reflects the lookup at V or newer, so writing it at version V can only
 * replace an older state. Writes are strict (version_type external): a root already at V or newer —
 * written for its own change in the same transaction or later, or by this pass before a crash — is
 * left alone (409, counted stale), so nothing is written twice for one version. A newer change of the
 * lookup marks the condition again at a higher version; the drainer then runs the pass again.
 * A root refused (mapping conflict, document config error) goes to `write`'s rejected list under its
 * own key (rootEvent) for the caller to dead-letter; the pass goes on with the next root.
 * Returns true when every root was handled, false when stopped (the cursor is stored).
 */
export async function runFanOutPass(pass: PendingPass, context: PassContext): Promise<boolean> {
  const { spec, source, lookups } = context;
  const rootKey = source.cachedInfo(spec.root).primaryKey;
  const keys = { primaryKey: (t: string) => source.cachedInfo(t).primaryKey };
  const condition = { columns: pass.condition.columns, tuples: [pass.condition.tuple] };
  let after = pass.after;
  for (;;) {
    const writes: PlannedWrite[] = [];
    const rejected: RejectedEvent[] = [];
    // taken before the snapshot begins: every event up to it committed before the snapshot
    const shared = { cache: lookups.cache, floor: lookups.floor.value, version: pass.version };
    const roots = await source.snapshot(async (reader) => {
      const rows = await reader.select(spec.root, [condition], [], { key: rootKey, after, limit: context.pageSize });
      const related = await readRelated(spec, reader, rows, keys.primaryKey, shared);
      let built = 0;
      for (const row of rows) {
        if (++built % DOCS_PER_YIELD === 0) await yieldToLoop();
        const event = rootEvent(pass, spec.root, pick(row, rootKey));
        try {
          const document = await buildDocument(spec, row, related, keys);
          writes.push({
            action: 'index',
            id: spec.id.render(row),
            version: pass.version,
            document,
            event,
            strict: true,
          });
        } catch (error) {
          rejected.push({ event, error: (error instanceof Error ? error.message : String(error)) + causeText(pass) });
        }
      }
      return rows;
    });
    await context.write(writes, rejected);
    await context.reindexed?.(roots.length);
    if (roots.length < context.pageSize) return true;
    const last = roots[roots.length - 1];
    after = Object.fromEntries(rootKey.map((c) => [c, last[c]]));
    if (!(await context.progress(after))) return false;
    await yieldToLoop(); // timers (lease renewal, status) run between pages
  }
}
