import { decodeEvent, decodeEventFields, idToPosition, type ChangeEvent, type Position } from '@distributary/core';

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
const FIELD_K = 0x6b; // 'k'
const FIELD_O = 0x6f; // 'o'

/** Two single-letter fields of a Buffer reply's entry as text, its ID and its size in bytes. */
interface PickedFields {
  id: string;
  size: number;
  first: string | undefined;
  second: string | undefined;
}

/**
 * Picks the fields named `first` and `second` (one byte each) out of a Buffer reply's entry: only
 * those become strings (UTF-8; the last of a repeated name, as fieldsOf), the ID is ASCII, and the size
 * is the sum of the buffers' lengths, the same bytes entrySize counts, without re-encoding anything.
 */
function pickFields([rawId, raw]: RawBufferEntry, first: number, second: number): PickedFields {
  const picked: PickedFields = {
    id: rawId.toString('latin1'),
    size: rawId.length,
    first: undefined,
    second: undefined,
  };
  for (let i = 0; i < raw.length; i++) {
    const part = raw[i];
    picked.size += part.length;
    if (i % 2 === 1 || part.length !== 1 || i + 1 >= raw.length) continue;
    if (part[0] === first) picked.first = raw[i + 1].toString('utf8');
    else if (part[0] === second) picked.second = raw[i + 1].toString('utf8');
  }
  return picked;
}

/** The LSN of the last entry ID parsed by positionOf, as text and as the value idToPosition gave. */
let lastLsnText = '';
let lastLsn = 0n;

/**
 * idToPosition of an entry ID, without parsing the LSN again when it is the previous entry's (the
 * entries of one transaction share it): the same BigInt value, only the sequence is read. An ID whose
 * sequence is not plain decimal digits goes through idToPosition, which refuses it.
 */
function positionOf(id: string): Position {
  const dash = id.indexOf('-');
  if (dash > 0 && dash === lastLsnText.length && id.startsWith(lastLsnText) && id.length - dash <= 16) {
    let seq = 0;
    for (let i = dash + 1; i < id.length; i++) {
      const digit = id.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return idToPosition(id);
      seq = seq * 10 + digit;
    }
    if (id.length > dash + 1) return { lsn: lastLsn, seq };
  }
  const pos = idToPosition(id);
  lastLsnText = id.slice(0, dash);
  lastLsn = pos.lsn;
  return pos;
}

/**
 * toLogEntry of a Buffer reply, for the readers: only the fields decoding needs (`e`, `j`) become
 * strings (the canonical key `k` and the op `o` are never converted) and no fields object is built.
 */
export function bufferToLogEntry(entry: RawBufferEntry): LogEntry {
  const { id, size, first: e, second: j } = pickFields(entry, FIELD_E, FIELD_J);
  if (e === undefined) throw new Error(`change-log entry ${id} has no field "e"`);
  return { id, event: decodeEventFields(id, e, j, positionOf(id)), size };
}

/**
 * The ID, canonical key (`k`), op (`o`) and size of a Buffer reply's entry, for compaction's scan: what
 * fieldsOf(...).k / .o and entrySize give, without turning the event body `e` into a string.
 */
export function bufferEntryKeyOp(entry: RawBufferEntry): { id: string; key: string; op: string; size: number } {
  const { id, size, first: key, second: op } = pickFields(entry, FIELD_K, FIELD_O);
  return { id, key: key as string, op: op as string, size };
}

/** The smallest entry ID above `id` (for exclusive ranges and XTRIM MINID). */
export function nextId(id: string): string {
  const dash = id.indexOf('-');
  return `${id.slice(0, dash)}-${Number(id.slice(dash + 1)) + 1}`;
}
