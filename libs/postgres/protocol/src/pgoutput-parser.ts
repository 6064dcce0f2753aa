import {
  UNCHANGED_TOAST,
  type PgoutputMessage,
  type RawTuple,
  type RelationColumnInfo,
  type RelationMessage,
} from './pgoutput-messages';

/** 2000-01-01 (the PostgreSQL epoch) in microseconds since the Unix epoch. */
const PG_EPOCH_MICROS = 946_684_800_000_000n;

/**
 * Reads pgoutput (protocol v1, text tuples) without converting any value. A message must be read to
 * its last byte: bytes left over (a damaged length or count) are an error, never a shorter tuple.
 * `start`: where the message begins in `buffer` (the replication stream passes its XLogData chunk
 * whole, the message after the 25-byte header, instead of a view of it per message).
 */
export function parsePgoutput(buffer: Buffer, start = 0): PgoutputMessage {
  const reader = new Reader(buffer, start);
  const message = readMessage(reader);
  reader.done();
  return message;
}

function readMessage(reader: Reader): PgoutputMessage {
  const tag = String.fromCharCode(reader.uint8());
  switch (tag) {
    case 'B':
      return {
        tag: 'begin',
        commitLsn: reader.uint64(),
        commitTimeMicros: reader.uint64() + PG_EPOCH_MICROS,
        xid: reader.uint32(),
      };
    case 'C':
      reader.uint8(); // flags, unused
      return {
        tag: 'commit',
        commitLsn: reader.uint64(),
        endLsn: reader.uint64(),
        commitTimeMicros: reader.uint64() + PG_EPOCH_MICROS,
      };
    case 'R':
      return readRelation(reader);
    case 'Y':
      return { tag: 'type', typeOid: reader.uint32(), schema: reader.cstring(), name: reader.cstring() };
    case 'I': {
      const relationOid = reader.uint32();
      reader.expect('N');
      return { tag: 'insert', relationOid, newTuple: readTuple(reader) };
    }
    case 'U': {
      const relationOid = reader.uint32();
      let kind = String.fromCharCode(reader.uint8());
      if (kind !== 'K' && kind !== 'O' && kind !== 'N')
        throw new Error(`pgoutput: unexpected update sub-message ${kind}`);
      let keyTuple: RawTuple | undefined;
      let oldTuple: RawTuple | undefined;
      if (kind === 'K') keyTuple = readTuple(reader);
      if (kind === 'O') oldTuple = readTuple(reader);
      if (kind !== 'N') kind = String.fromCharCode(reader.uint8());
      if (kind !== 'N') throw new Error(`pgoutput: unexpected update sub-message ${kind}`);
      return { tag: 'update', relationOid, keyTuple, oldTuple, newTuple: readTuple(reader) };
    }
    case 'D': {
      const relationOid = reader.uint32();
      const kind = String.fromCharCode(reader.uint8());
      const tuple = readTuple(reader);
      if (kind === 'K') return { tag: 'delete', relationOid, keyTuple: tuple };
      if (kind === 'O') return { tag: 'delete', relationOid, oldTuple: tuple };
      throw new Error(`pgoutput: unexpected delete sub-message ${kind}`);
    }
    case 'T': {
      const count = reader.uint32();
      const flags = reader.uint8();
      const relationOids: number[] = [];
      for (let i = 0; i < count; i++) relationOids.push(reader.uint32());
      return { tag: 'truncate', relationOids, cascade: (flags & 1) !== 0, restartIdentity: (flags & 2) !== 0 };
    }
    case 'M': {
      const flags = reader.uint8();
      const lsn = reader.uint64();
      const prefix = reader.cstring();
      const content = reader.bytes(reader.uint32());
      return { tag: 'message', transactional: (flags & 1) !== 0, lsn, prefix, content };
    }
    case 'O':
      return { tag: 'origin', originLsn: reader.uint64(), name: reader.cstring() };
    default:
      throw new Error(`pgoutput: unknown message type '${tag}'`);
  }
}

function readRelation(reader: Reader): RelationMessage {
  const relationOid = reader.uint32();
  const schema = reader.cstring();
  const name = reader.cstring();
  const identity = String.fromCharCode(reader.uint8());
  const replicaIdentity = ({ d: 'default', n: 'nothing', f: 'full', i: 'index' } as const)[
    identity as 'd' | 'n' | 'f' | 'i'
  ];
  if (!replicaIdentity) throw new Error(`pgoutput: unknown replica identity '${identity}'`);
  const count = reader.uint16();
  const columns: RelationColumnInfo[] = [];
  for (let i = 0; i < count; i++) {
    const flags = reader.uint8();
    columns.push({
      isKey: (flags & 1) !== 0,
      name: reader.cstring(),
      typeOid: reader.uint32(),
      typeMod: reader.int32(),
    });
  }
  return { tag: 'relation', relationOid, schema, name, replicaIdentity, columns };
}

const KIND_NULL = 0x6e; // 'n'
const KIND_UNCHANGED = 0x75; // 'u'
const KIND_TEXT = 0x74; // 't'

function readTuple(reader: Reader): RawTuple {
  const count = reader.uint16();
  const tuple: RawTuple = new Array(count);
  for (let i = 0; i < count; i++) {
    const kind = reader.uint8();
    if (kind === KIND_TEXT) tuple[i] = reader.text(reader.uint32());
    else if (kind === KIND_NULL) tuple[i] = null;
    else if (kind === KIND_UNCHANGED) tuple[i] = UNCHANGED_TOAST;
    else
      throw new Error(
        `pgoutput: unsupported tuple value kind '${String.fromCharCode(kind)}' (binary mode is not used)`,
      );
  }
  return tuple;
}

/** Buffer#utf8Slice (Node's own, untyped): toString('utf8', start, end) without the argument juggling. */
type Utf8Slicer = (this: Buffer, start: number, end: number) => string;
const utf8Slice: Utf8Slicer =
  (Buffer.prototype as unknown as { utf8Slice?: Utf8Slicer }).utf8Slice ??
  function (this: Buffer, start: number, end: number): string {
    return this.toString('utf8', start, end);
  };

class Reader {
  constructor(
    private readonly buffer: Buffer,
    private offset: number,
  ) {
    if (offset > buffer.length) throw new Error('pgoutput: message ends early');
  }

  uint8(): number {
    return this.buffer[this.advance(1)];
  }
  uint16(): number {
    return this.buffer.readUInt16BE(this.advance(2));
  }
  uint32(): number {
    return this.buffer.readUInt32BE(this.advance(4));
  }
  int32(): number {
    return this.buffer.readInt32BE(this.advance(4));
  }
  uint64(): bigint {
    return this.buffer.readBigUInt64BE(this.advance(8));
  }
  /** `length` bytes as UTF-8 text (no intermediate Buffer). */
  text(length: number): string {
    const start = this.advance(length);
    return utf8Slice.call(this.buffer, start, start + length);
  }
  bytes(length: number): Buffer {
    const start = this.advance(length);
    return this.buffer.subarray(start, start + length);
  }
  cstring(): string {
    const end = this.buffer.indexOf(0, this.offset);
    if (end < 0) throw new Error('pgoutput: unterminated string');
    const text = this.buffer.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return text;
  }
  expect(letter: string): void {
    const got = String.fromCharCode(this.uint8());
    if (got !== letter) throw new Error(`pgoutput: expected '${letter}', got '${got}'`);
  }
  /** Throws when bytes are left after the message. */
  done(): void {
    const left = this.buffer.length - this.offset;
    if (left !== 0) throw new Error(`pgoutput: ${left} byte(s) after the end of the message`);
  }
  private advance(length: number): number {
    if (this.offset + length > this.buffer.length) throw new Error('pgoutput: message ends early');
    const start = this.offset;
    this.offset += length;
    return start;
  }
}
