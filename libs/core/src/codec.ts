import type { ChangeEvent, ColumnValue, Row } from './event';
import { JsonText } from './json-text';
import { positionToId, idToPosition, type Position } from './position';

/**
 * How a ChangeEvent is stored as one stream entry: field `e` holds the JSON of everything but the
 * position (the entry ID is the position). Field `k` holds the canonical key, so compaction can find
 * the latest event per key without parsing the whole event. Field `j` (only when there are any)
 * lists the columns holding json/jsonb values: `e` holds their exact text as JSON strings, and
 * decodeEvent turns them back into JsonText.
 */
export interface EncodedEvent {
  id: string;
  fields: Record<string, string>;
}

export function canonicalKey(table: string, key: Record<string, unknown>): string {
  const names = Object.keys(key).sort();
  return `${table}:${JSON.stringify(names.map((n) => [n, key[n]]))}`;
}

export function encodeEvent(event: ChangeEvent): EncodedEvent {
  return encodeEventWithKey(event, canonicalKey(event.table, event.key));
}

/** encodeEvent for a caller that already holds canonicalKey(event.table, event.key) (the connector). */
export function encodeEventWithKey(event: ChangeEvent, canonical: string): EncodedEvent {
  const fields: Record<string, string> = {
    k: canonical,
    o: event.op,
    e: eventBody(event),
  };
  const json = eventJsonField(event);
  if (json !== undefined) fields.j = json;
  return { id: positionToId(event.pos), fields };
}

/** Field `e` of an event's entry (see EncodedEvent), for writers that pack the fields themselves. */
export function eventBody(event: ChangeEvent): string {
  const { pos: _pos, ...rest } = event;
  return JSON.stringify(rest);
}

/** Field `j` of an event's entry, or undefined when the entry has none (see EncodedEvent). */
export function eventJsonField(event: ChangeEvent): string | undefined {
  const json = jsonColumns(event);
  return json ? JSON.stringify(json) : undefined;
}

export function decodeEvent(id: string, fields: Record<string, string>): ChangeEvent {
  return decodeEventFields(id, fields.e, fields.j);
}

/**
 * decodeEvent from the entry's fields `e` and `j` alone (the other fields are not needed to decode),
 * for readers that pick them out of the raw reply themselves. The parsed body becomes the event: its
 * position is set on it, not spread into a copy. `pos`: the ID's position when the caller has it.
 */
export function decodeEventFields(
  id: string,
  e: string,
  j: string | undefined,
  pos: Position = idToPosition(id),
): ChangeEvent {
  const event = JSON.parse(e) as ChangeEvent;
  if (j) {
    const columns = JSON.parse(j) as string[];
    if (event.key) rewrapJson(event.key, columns);
    if (event.before) rewrapJson(event.before, columns);
    if (event.after) rewrapJson(event.after, columns);
  }
  event.pos = pos;
  return event;
}

function holdsJson(value: ColumnValue | undefined): boolean {
  if (value instanceof JsonText) return true;
  return Array.isArray(value) && value.some(holdsJson);
}

/** Columns holding JsonText; allocation-free for the common event without any. */
function jsonColumns(event: ChangeEvent): string[] | undefined {
  return addJsonColumns(event.after, addJsonColumns(event.before, addJsonColumns(event.key, undefined)));
}

function addJsonColumns(row: Row | undefined, columns: string[] | undefined): string[] | undefined {
  if (!row) return columns;
  for (const column in row) {
    const value = row[column];
    if (value === null || typeof value !== 'object' || !holdsJson(value)) continue;
    if (!columns) columns = [column];
    else if (!columns.includes(column)) columns.push(column);
  }
  return columns;
}

function rewrap(value: ColumnValue): ColumnValue {
  if (typeof value === 'string') return new JsonText(value);
  if (Array.isArray(value)) return value.map(rewrap);
  return value;
}

function rewrapJson(row: Row, columns: string[]): void {
  for (const column of columns) {
    const value = row[column];
    if (value !== undefined && value !== null) row[column] = rewrap(value);
  }
}
