import { decodeEvent, decodeEventFields, type ChangeEvent } from '@distributary/core';

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

/** One raw stream entry as ioredis' *Buffer commands (xreadBuffer, xrangeBuffer) return it. */
export type RawBufferEntry = [Buffer, Buffer[]];

const FIELD_E = 0x65; // 'e'
const FIELD_J = 0x6a; // 'j'

/**
 * toLogEntry of a Buffer reply, for the readers: only the fields decoding needs (`e`, `j`) become
 * strings (the canonical key `k` and the op `o` are never converted), no fields object is built, and
 * the size is the sum of the buffers' lengths, the same bytes entrySize counts, without re-encoding.
 */
export function bufferToLogEntry([rawId, raw]: RawBufferEntry): LogEntry {
  const id = rawId.toString('latin1'); // an entry ID is ASCII digits and a dash
  let size = rawId.length;
  let e: string | undefined;
  let j: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const part = raw[i];
    size += part.length;
    if (i % 2 === 1 || part.length !== 1 || i + 1 >= raw.length) continue;
    if (part[0] === FIELD_E) e = raw[i + 1].toString('utf8');
    else if (part[0] === FIELD_J) j = raw[i + 1].toString('utf8');
  }
  if (e === undefined) throw new Error(`change-log entry ${id} has no field "e"`);
  return { id, event: decodeEventFields(id, e, j), size };
}

const FIELD_K = 0x6b; // 'k'
const FIELD_O = 0x6f; // 'o'

/**
 * The ID, canonical key (`k`), op (`o`) and size of a Buffer reply's entry, for compaction's scan: what
 * toLogEntry-style decoding gives (fieldsOf(...).k / .o, entrySize) without turning the event body
 * `e` into a string (entry IDs are ASCII; the size is the same bytes entrySize counts).
 */
export function bufferEntryKeyOp([rawId, raw]: RawBufferEntry): { id: string; key: string; op: string; size: number } {
  const id = rawId.toString('latin1');
  let size = rawId.length;
  let key: string | undefined;
  let op: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const part = raw[i];
    size += part.length;
    if (i % 2 === 1 || part.length !== 1 || i + 1 >= raw.length) continue;
    if (part[0] === FIELD_K) key = raw[i + 1].toString('utf8');
    else if (part[0] === FIELD_O) op = raw[i + 1].toString('utf8');
  }
  return { id, key: key as string, op: op as string, size };
}

/** The smallest entry ID above `id` (for exclusive ranges and XTRIM MINID). */
export function nextId(id: string): string {
  const dash = id.indexOf('-');
  return `${id.slice(0, dash)}-${Number(id.slice(dash + 1)) + 1}`;
}
