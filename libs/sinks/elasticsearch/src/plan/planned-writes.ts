import type { ChangeEvent, RejectedEvent } from '@distributary/core';
import type { DocumentText } from '../document/document-json';

/**
 * The writes one batch makes, collapsed per document id to the one with the highest version (later
 * events win ties): a document is written once per batch, so no id is ever in two bulk requests.
 */
export interface PlannedWrite {
  action: 'index' | 'delete';
  id: string;
  version: number;
  /** The document, or its JSON text already written (DocumentText, document-json.ts). */
  document?: Record<string, unknown> | DocumentText;
  event: ChangeEvent;
  /** A fan-out pass's write: applied only over an older version (BulkOp.strict). */
  strict?: boolean;
}

export class PlannedWrites {
  private readonly writes = new Map<string, PlannedWrite>();
  readonly rejected: RejectedEvent[] = [];

  put(write: PlannedWrite): void {
    const existing = this.writes.get(write.id);
    if (!existing || write.version >= existing.version) this.writes.set(write.id, write);
  }

  reject(event: ChangeEvent, error: unknown): void {
    this.rejected.push({ event, error: error instanceof Error ? error.message : String(error) });
  }

  /**
   * A truncate at `version`: every write planned so far (all from events before it in log order, of
   * this or an earlier transaction — its own transaction's are at the same version) becomes a delete
   * at that version.
   */
  truncate(version: number, event: ChangeEvent): void {
    for (const id of this.writes.keys()) this.writes.set(id, { action: 'delete', id, version, event });
  }

  has(id: string): boolean {
    return this.writes.has(id);
  }

  list(): PlannedWrite[] {
    return [...this.writes.values()];
  }
}
