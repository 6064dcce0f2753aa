import type { ChangeEvent, Row } from '@distributary/core';
import type { DocumentSpec } from '../document/document-spec';
import { versionOf } from '../version';
import type { PlannedWrite } from './planned-writes';

/** The first event of `events` that truncates the root table within the batch's first transaction. */
function truncateOfFirstTransaction(spec: DocumentSpec, events: readonly ChangeEvent[]): ChangeEvent | undefined {
  const first = events[0];
  if (!first) return undefined;
  for (const event of events) {
    if (event.pos.lsn !== first.pos.lsn) return undefined;
    if (event.op === 't' && event.table === spec.root) return event;
  }
  return undefined;
}

/**
 * A TRUNCATE of the root table ends every root row its own transaction wrote before it. Versions are
 * commit LSNs, so those rows' documents are at the truncate's own version, where the index search
 * of a truncate cannot tell them from rows the transaction wrote after it (it deletes only older
 * documents, see direct-plan.ts). Rows written earlier in the same batch are turned into deletes by
 * the planner; this covers the rows written in EARLIER batches of this partition (a transaction
 * longer than a batch): they are read back from this partition's log (`earlier`, the transaction's
 * entries before the batch — never compacted while a sink has not passed the transaction, see
 * changelog's compaction-plan.ts) and deleted at the truncate's version (external_gte), a page at a
 * time, before the batch's own writes — which come after and win at the same version. Only this
 * partition's keys are in its log, so rows other partitions wrote after the truncate are untouched.
 */
export async function* deletesBeforeTruncate(
  spec: DocumentSpec,
  events: readonly ChangeEvent[],
  earlier: () => AsyncIterable<ChangeEvent[]>,
): AsyncGenerator<PlannedWrite[]> {
  const truncate = truncateOfFirstTransaction(spec, events);
  if (!truncate) return;
  const version = versionOf(truncate.pos.lsn);
  for await (const page of earlier()) {
    const deletes: PlannedWrite[] = [];
    for (const event of page) {
      if (event.table !== spec.root || event.op === 't') continue;
      const row: Row = event.after ?? { ...event.before, ...event.key };
      if (spec.id.canRender(row)) deletes.push({ action: 'delete', id: spec.id.render(row), version, event: truncate });
    }
    if (deletes.length > 0) yield deletes;
  }
}
