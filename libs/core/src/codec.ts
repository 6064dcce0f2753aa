import type { ChangeEvent } from './event';
import { positionToId, idToPosition } from './position';

/**
 * How a ChangeEvent is stored as one stream entry: field `e` holds the JSON of everything but the
 * position (the entry ID is the position). Field `k` holds the canonical key, so compaction can find
 * the latest event per key without parsing the whole event.
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
  const { pos, ...rest } = event;
  return {
    id: positionToId(pos),
    fields: { k: canonicalKey(event.table, event.key), o: event.op, e: JSON.stringify(rest) },
  };
}

export function decodeEvent(id: string, fields: Record<string, string>): ChangeEvent {
  const body = JSON.parse(fields.e) as Omit<ChangeEvent, 'pos'>;
  return { ...body, pos: idToPosition(id) };
}
