import { exactJson, type ChangeEvent } from '@distributary/core';
import { DocumentText, quoteJson } from '../document/document-json';

/** One versioned write. `version` is the commit LSN of the event that decided this document's state. */
export interface BulkOp {
  action: 'index' | 'delete';
  index: string;
  id: string;
  version: number;
  document?: Record<string, unknown>;
  /** The document already serialized (JSON text); when set, `document` is not looked at. */
  source?: string;
  /** The event reported back if Elasticsearch refuses the document. */
  event: ChangeEvent;
  /** Written only over an OLDER version (version_type external): a fan-out pass never rewrites a
   *  document already written at its version (by the root's own change, or by the pass before a crash). */
  strict?: boolean;
}

export type BulkOutcome = { result: 'applied' } | { result: 'stale' } | { result: 'rejected'; error: string };

export function opKey(op: BulkOp): string {
  return `${op.index}\u0000${op.id}`;
}

/** The document as JSON text, serialized once (shared by every target index of one write), by the
 *  type contract's one serializer: json/jsonb values embedded verbatim (docs/types.md); a
 *  DocumentText is that very text already (document-json.ts). */
export function serializeDocument(document: Record<string, unknown> | DocumentText | undefined): string {
  return document instanceof DocumentText ? document.text : exactJson(document ?? {});
}

/** The last index name quoted (a batch's ops share one or two): quoted once, not per op. */
let lastIndex = '';
let lastIndexJson = '""';

/** The op's action line (newline-terminated). */
function opHeader(op: BulkOp): string {
  if (op.index !== lastIndex) {
    lastIndexJson = quoteJson(op.index);
    lastIndex = op.index;
  }
  const header = `{"_index":${lastIndexJson},"_id":${quoteJson(op.id)},"version":${op.version},"version_type":"${op.strict ? 'external' : 'external_gte'}"}`;
  return op.action === 'delete' ? `{"delete":${header}}\n` : `{"index":${header}}\n`;
}

/**
 * The op's NDJSON lines of a `_bulk` body, newline-terminated (built once, sent as they are), and
 * their UTF-8 size, measured on the parts (the document text is measured
 * as it came from the serializer: the joined lines are not flattened just to be measured).
 */
export function opBodyAndBytes(op: BulkOp): { body: string; bytes: number } {
  const header = opHeader(op);
  if (op.action === 'delete') return { body: header, bytes: Buffer.byteLength(header) };
  const source = op.source ?? serializeDocument(op.document);
  return { body: `${header}${source}\n`, bytes: Buffer.byteLength(header) + Buffer.byteLength(source) + 1 };
}
