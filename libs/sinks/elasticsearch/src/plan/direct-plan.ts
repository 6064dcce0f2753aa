import type { ChangeEvent, Row } from '@distributary/core';
import { buildDocument } from '../document/build-document';
import { versionOf } from '../version';
import type { PlanContext } from './plan-context';
import { PlannedWrites, type PlannedWrite } from './planned-writes';

/** Documents deleted per page of a truncate (one bulk request's worth). */
const TRUNCATE_PAGE = 1000;

/**
 * A truncate of the root table deletes every document in the index that is older than it, a page at
 * a time (written before the next page is read, so memory stays one page whatever the index holds).
 * The deletes are strict (only over a LOWER version): a document at the truncate's own version was
 * written by its transaction, and only this partition's events before the truncate may be deleted
 * at that version — those of this batch are in `plan` (turned into deletes by plan.truncate), those of
 * earlier batches come through truncate-split.ts. Other partitions apply their own copy of the
 * truncate, so rows they wrote AFTER it in the same transaction (same version) are never touched.
 */
async function deleteIndexed(
  version: number,
  event: ChangeEvent,
  plan: PlannedWrites,
  context: PlanContext,
): Promise<void> {
  for await (const page of context.findDocuments({ match_all: {} }, context.pageSize ?? TRUNCATE_PAGE)) {
    const deletes: PlannedWrite[] = [];
    for (const found of page) {
      if (!plan.has(found.id)) deletes.push({ action: 'delete', id: found.id, version, event, strict: true });
    }
    if (context.writePage) await context.writePage(deletes, []);
    else for (const write of deletes) plan.put(write);
  }
}

/**
 * Sinks without joins: a document is a function of the root row, so it is built from the event
 * itself (never re-read), versioned with the event's commit LSN.
 */
export async function planDirect(events: ChangeEvent[], context: PlanContext): Promise<PlannedWrites> {
  const { spec } = context;
  const plan = new PlannedWrites();
  const noRelated = new Map();
  const keys = { primaryKey: () => [] };
  for (const event of events) {
    if (event.table !== spec.root) continue;
    const version = versionOf(event.pos.lsn);
    if (event.op === 't') {
      plan.truncate(version, event);
      await deleteIndexed(version, event, plan, context);
      continue;
    }
    const old: Row = { ...event.before, ...event.key };
    if (event.op === 'd') {
      if (!spec.id.canRender(old)) {
        plan.reject(event, `delete of ${event.table} lacks the id columns ${spec.id.columns.join(', ')}`);
        continue;
      }
      plan.put({ action: 'delete', id: spec.id.render(old), version, event });
      continue;
    }
    if (!event.after) {
      plan.reject(event, `${event.op} event of ${event.table} has no row (after)`);
      continue;
    }
    try {
      const id = spec.id.render(event.after);
      if (event.before && spec.id.canRender(event.before) && spec.id.render(event.before) !== id) {
        plan.put({ action: 'delete', id: spec.id.render(event.before), version, event });
      }
      const document = await buildDocument(spec, event.after, noRelated, keys);
      plan.put({ action: 'index', id, version, document, event });
    } catch (error) {
      plan.reject(event, error);
    }
  }
  return plan;
}
