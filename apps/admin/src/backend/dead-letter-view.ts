import { decodeEvent } from '@distributary/core';
import type { ChangeLog } from '@distributary/changelog';
import { redactSecrets } from '@distributary/observability';
import { preview } from './preview';
import type { DeadLetter, DeadLetterPage } from '@distributary/admin-contract';

/** Raw fields longer than this are not parsed for a preview (they are cut as text). */
const PARSE_LIMIT = 256 * 1024;

function parseField(value: string, full: boolean): unknown {
  if (!full && value.length > PARSE_LIMIT) return value;
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return value;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
}

/** The dead-lettered event: libs/changelog stores its encoded stream fields ({k, o, e}) as JSON in
 *  `event` and its entry ID in `id`; an already-decoded event object is accepted too. */
function eventOf(fields: Record<string, unknown>): Record<string, unknown> {
  const event = fields.event;
  if (!event || typeof event !== 'object') return {};
  const encoded = event as Record<string, unknown>;
  if (typeof encoded.e === 'string') {
    try {
      const id = str(fields.id);
      const decoded = id
        ? decodeEvent(id, encoded as Record<string, string>)
        : (JSON.parse(encoded.e) as Record<string, unknown>);
      const { pos: _pos, ...rest } = decoded as unknown as Record<string, unknown>;
      return rest;
    } catch {
      return {};
    }
  }
  return encoded;
}

/**
 * One dead letter as the API shows it. Unless `full` (operators, `?full=1`), row data is cut to a
 * bounded preview (preview.ts) *before* redaction, so neither the answer nor the redaction grows with
 * a huge (TOASTed) value; `truncated` says whether anything was cut.
 */
export function toDeadLetter(sink: string, id: string, flat: string[], full = false): DeadLetter {
  const fields: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = parseField(flat[i + 1], full);
  const event = eventOf(fields);
  const partition = Number(str(fields.partition) ?? NaN);
  const time = str(fields.time) ?? str(fields.at);
  // An event that could not be decoded (or was too large to parse for a preview) is shown as stored.
  const all = { ...fields, event: Object.keys(event).length ? event : (fields.event ?? event) };
  const shown = full
    ? { value: { fields: all, key: event.key ?? null, error: str(fields.error) }, truncated: false }
    : preview({ fields: all, key: event.key ?? null, error: str(fields.error) });
  return {
    id,
    sink,
    partition: Number.isInteger(partition) ? partition : null,
    time: time && time.length < 20 && /^\d+$/.test(time) ? new Date(Number(time)).toISOString() : cut(time),
    error: shown.value.error === null ? null : redactSecrets(shown.value.error),
    table: cut(str(event.table)),
    op: cut(str(event.op)),
    key: redactSecrets(shown.value.key),
    eventId: cut(str(fields.id) ?? str(fields.eventId)),
    fields: redactSecrets(shown.value.fields),
    truncated: shown.truncated,
  };
}

function cut(text: string | null): string | null {
  return text === null || text.length <= 200 ? text : `${text.slice(0, 200)}…`;
}

/**
 * A page of a sink's dead letters as the admin API shows them: read through the change log's pagination
 * (libs/changelog dead-letters.ts) and viewed tolerantly: the entry's fields are shown as written, JSON
 * fields parsed, and the usual ones (event, error, time, partition) lifted out.
 */
export async function listDeadLetters(
  log: ChangeLog,
  sink: string,
  options: { after?: string; limit: number; full?: boolean },
): Promise<DeadLetterPage> {
  const [total, page] = await Promise.all([
    log.deadLetters.count(sink),
    log.deadLetters.entries(sink, { after: options.after, limit: options.limit }),
  ]);
  return {
    sink,
    total,
    entries: page.entries.map(([id, flat]) => toDeadLetter(sink, id, flat, options.full)),
    next: page.next ?? null,
  };
}
