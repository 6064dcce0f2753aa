import { decodeEvent, type ChangeEvent } from '@distributary/core';

/** One raw stream entry as ioredis returns it: [id, [field, value, field, value, …]]. */
export type RawStreamEntry = [string, string[]];

export interface LogEntry {
  id: string;
  event: ChangeEvent;
  /** Approximate bytes the entry occupies (ID + field names + values). */
  size: number;
}

export function fieldsOf(raw: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) fields[raw[i]] = raw[i + 1];
  return fields;
}

export function entrySize([id, raw]: RawStreamEntry): number {
  let size = id.length;
  for (const part of raw) size += Buffer.byteLength(part);
  return size;
}

export function toLogEntry(raw: RawStreamEntry): LogEntry {
  return { id: raw[0], event: decodeEvent(raw[0], fieldsOf(raw[1])), size: entrySize(raw) };
}

/** The smallest entry ID above `id` (for exclusive ranges and XTRIM MINID). */
export function nextId(id: string): string {
  const dash = id.indexOf('-');
  return `${id.slice(0, dash)}-${Number(id.slice(dash + 1)) + 1}`;
}
