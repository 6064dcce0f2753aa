import type { ChangeEvent, Row } from '@distributary/core';
import { buildDocument } from '../document/build-document';
import { versionOf } from '../version';
import type { PlanContext } from './plan-context';
import { PlannedWrites } from './planned-writes';

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
      plan.truncateBefore(version, event);
      for (const found of await context.findDocuments({ match_all: {} })) {
        if (!plan.has(found.id)) plan.put({ action: 'delete', id: found.id, version, event });
      }
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
