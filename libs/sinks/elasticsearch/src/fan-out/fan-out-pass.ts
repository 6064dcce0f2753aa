import type { ChangeEvent, RejectedEvent, Row, SourceRows } from '@distributary/core';
import { buildDocument } from '../document/build-document';
import type { DocumentSpec } from '../document/document-spec';
import { readRelated } from '../plan/joined-plan';
import type { CommittedFloor, LookupCache } from '../plan/lookup-cache';
import type { PlannedWrite } from '../plan/planned-writes';
import type { PendingPass } from './fan-out-store';
import type { FanOutChunk } from './fan-out-chunks';
import { DOCS_PER_YIELD, yieldToLoop } from '../plan/yield-to-loop';
import { pick } from '../plan/row-match';

export interface PlanContext {
  spec: DocumentSpec;
  source: SourceRows;
  /** Roots per page read by the planner (one snapshot read). */
  pageSize: number;
  /** Roots per chunk: one bulk request's worth, the unit the workers claim. */
  chunkSize: number;
  /** Lists one page's chunks with the cursor (`planned`: the last page); false = stop here (resumed later). */
  list(chunks: Row[][], cursor: { after?: Row; planned: boolean }): Promise<boolean>;
}

export interface ChunkContext {
  spec: DocumentSpec;
  source: SourceRows;
  lookups: { cache: LookupCache; floor: CommittedFloor };
  /** Writes (and waits for) the chunk's documents. */
  write(writes: PlannedWrite[], rejected: RejectedEvent[]): Promise<void>;
}

/**
 * What a root's write is reported as: an update of that root row at the pass's version. A root that
 * Elasticsearch or the document config refuses is dead-lettered with its own key (and partition), not
 * the lookup change that marked the pass; replaying it re-reads that root from the source.
 */
function rootEvent(pass: { version: number; cause?: ChangeEvent }, root: string, key: Row): ChangeEvent {
  const commitTs = pass.cause?.commitTs;
  return { pos: { lsn: BigInt(pass.version), seq: 0 }, op: 'u', table: root, key, ...(commitTs ? { commitTs } : {}) };
}

function causeText(pass: { cause?: ChangeEvent }): string {
  const cause = pass.cause;
  return cause ? ` (re-indexed by the fan-out pass of ${cause.table} ${JSON.stringify(cause.key)})` : '';
}

/**
 * Plans one re-index pass over the roots of a dirty condition, at the pass's version V (the newest
 * change of the lookup row that marked it): the roots' keys are read in key order, `pageSize` at a
 * time, each page in its own snapshot taken after V committed (the change is in the log), and listed
 * as chunks of `chunkSize` roots that any worker claims and writes (writeFanOutChunk). Memory is one
 * page whatever the number of roots; `list` holds the planner back while enough chunks wait.
 * Returns true when every root was listed, false when stopped (the cursor is stored).
 */
export async function planFanOutPass(pass: PendingPass, context: PlanContext): Promise<boolean> {
  const { spec, source } = context;
  const rootKey = source.cachedInfo(spec.root).primaryKey;
  const condition = { columns: pass.condition.columns, tuples: [pass.condition.tuple] };
  let after = pass.after;
  for (;;) {
    const page = { key: rootKey, ...(after ? { after } : {}), limit: context.pageSize };
    const keys = await source.snapshot(async (reader) =>
      (await reader.select(spec.root, [condition], [], page)).map((row) => pick(row, rootKey)),
    );
    const chunks: Row[][] = [];
    for (let i = 0; i < keys.length; i += context.chunkSize) chunks.push(keys.slice(i, i + context.chunkSize));
    const planned = keys.length < context.pageSize;
    if (keys.length > 0) after = keys[keys.length - 1];
    if (!(await context.list(chunks, { ...(after ? { after } : {}), planned }))) return false;
    if (planned) return true;
    await yieldToLoop(); // timers (lease renewal, status) run between pages
  }
}

/**
 * Writes one chunk of a pass at its version V: the roots are read by key in one snapshot taken after V
 * committed, with their joined rows, and written strictly at V.
 *
 * Exact, whoever writes the chunk and in whatever order the chunks are written: the chunks of a pass
 * hold disjoint roots, and each document is built from a snapshot that reflects the lookup at V or
 * newer, so writing it at version V can only replace an older state. Writes are strict (version_type
 * external): a root already at V or newer — written for its own change in the same transaction or
 * later, or by this chunk before (a claim that ran out, a crash) — is left alone (409, counted stale),
 * so nothing is written twice for one version, and a root's own newer write always wins. A root that
 * no longer exists is not read (its delete removes the document); one that no longer matches the
 * condition is still written at V from its current rows (its own newer change follows at a higher
 * version). A newer change of the lookup marks the condition again at a higher version; the drainer
 * then runs the pass again. A root refused (mapping conflict, document config error) goes to `write`'s
 * rejected list under its own key (rootEvent) for the caller to dead-letter. Returns the roots written.
 */
export async function writeFanOutChunk(chunk: FanOutChunk, context: ChunkContext): Promise<number> {
  const { spec, source, lookups } = context;
  const rootKey = source.cachedInfo(spec.root).primaryKey;
  const keys = { primaryKey: (t: string) => source.cachedInfo(t).primaryKey };
  const writes: PlannedWrite[] = [];
  const rejected: RejectedEvent[] = [];
  // taken before the snapshot begins: every event up to it committed before the snapshot
  const shared = { cache: lookups.cache, floor: lookups.floor.value, version: chunk.version };
  await source.snapshot(async (reader) => {
    const rows = await reader.select(spec.root, [{ columns: rootKey, tuples: chunk.keys }]);
    const related = await readRelated(spec, reader, rows, keys.primaryKey, shared);
    let built = 0;
    for (const row of rows) {
      if (++built % DOCS_PER_YIELD === 0) await yieldToLoop();
      const event = rootEvent(chunk, spec.root, pick(row, rootKey));
      try {
        const document = await buildDocument(spec, row, related, keys);
        writes.push({
          action: 'index',
          id: spec.id.render(row),
          version: chunk.version,
          document,
          event,
          strict: true,
        });
      } catch (error) {
        rejected.push({ event, error: (error instanceof Error ? error.message : String(error)) + causeText(chunk) });
      }
    }
  });
  await context.write(writes, rejected);
  return writes.length + rejected.length;
}
