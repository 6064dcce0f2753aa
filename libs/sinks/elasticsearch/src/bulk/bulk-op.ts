import type { ChangeEvent } from '@distributary/core';

/** One versioned write. `version` is the commit LSN of the event that decided this document's state. */
export interface BulkOp {
  action: 'index' | 'delete';
  index: string;
  id: string;
  version: number;
  document?: Record<string, unknown>;
  /** The event reported back if Elasticsearch refuses the document. */
  event: ChangeEvent;
}

export type BulkOutcome = { result: 'applied' } | { result: 'stale' } | { result: 'rejected'; error: string };

export function opKey(op: BulkOp): string {
  return `${op.index}\u0000${op.id}`;
}

export function opLines(op: BulkOp): unknown[] {
  const header = { _index: op.index, _id: op.id, version: op.version, version_type: 'external_gte' };
  return op.action === 'index' ? [{ index: header }, op.document ?? {}] : [{ delete: header }];
}
