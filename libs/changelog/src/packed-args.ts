/**
 * A flat list of strings and small integers packed as ONE MessagePack array (array 32 header, then
 * fixstr / str 8/16/32 and positive ints), written straight into a growing Buffer. A script call carries its
 * entries as this single argument and unpacks it with `cmsgpack.unpack` (built into Redis's Lua): no
 * per-argument command building, length scan or string concatenation in the client, and the strings
 * the entries were encoded to can be collected at once instead of living until Redis replies.
 */
const FIXSTR = 0xa0;
const ARRAY32 = 0xdd;
const STR8 = 0xd9;
const STR16 = 0xda;
const STR32 = 0xdb;
const UINT32 = 0xce;
const INITIAL_BYTES = 16 * 1024;
const MIN_BYTES = 64;

/** Buffer#utf8Write (Node's own, untyped): like write(text, offset) without the argument juggling. */
type Utf8Writer = (this: Buffer, text: string, offset: number) => number;
const utf8Write: Utf8Writer =
  (Buffer.prototype as unknown as { utf8Write?: Utf8Writer }).utf8Write ??
  function (this: Buffer, text: string, offset: number): number {
    return this.write(text, offset, 'utf8');
  };

export class PackedArgs {
  private buffer: Buffer;
  /** Bytes written, including the 5-byte array header reserved at the start. */
  private length = 5;
  /** Elements written. */
  count = 0;

  /**
   * @param buffer where to start writing (e.g. one recycled from an earlier call); replaced by a
   *   bigger one when it fills up, and `discard` receives the one left behind.
   */
  constructor(
    buffer: Buffer = Buffer.allocUnsafe(INITIAL_BYTES),
    private readonly discard: (buffer: Buffer) => void = () => undefined,
  ) {
    this.buffer = buffer.length >= MIN_BYTES ? buffer : Buffer.allocUnsafe(MIN_BYTES);
  }

  /** The whole underlying buffer (to recycle once Redis has answered the call). */
  get storage(): Buffer {
    return this.buffer;
  }

  get bytes(): number {
    return this.length;
  }

  /** Appends a UTF-8 string (the header is chosen by its worst-case byte length; shorter is fine). */
  string(text: string): void {
    if (text.length < 32 && this.shortAscii(text)) return;
    const max = text.length * 3;
    if (max < 0x100) {
      this.reserve(2 + max);
      const written = utf8Write.call(this.buffer, text, this.length + 2);
      this.buffer[this.length] = STR8;
      this.buffer[this.length + 1] = written;
      this.length += 2 + written;
    } else if (max < 0x10000) {
      this.reserve(3 + max);
      const written = utf8Write.call(this.buffer, text, this.length + 3);
      this.buffer[this.length] = STR16;
      this.buffer.writeUInt16BE(written, this.length + 1);
      this.length += 3 + written;
    } else {
      const exact = Buffer.byteLength(text, 'utf8');
      this.reserve(5 + exact);
      const written = utf8Write.call(this.buffer, text, this.length + 5);
      this.buffer[this.length] = STR32;
      this.buffer.writeUInt32BE(written, this.length + 1);
      this.length += 5 + written;
    }
    this.count++;
  }

  /** A short ASCII string (IDs, field names, ops) copied by hand: cheaper than a native call. */
  private shortAscii(text: string): boolean {
    this.reserve(1 + text.length);
    const buffer = this.buffer;
    let at = this.length + 1;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) return false; // the general path overwrites what was copied
      buffer[at++] = code;
    }
    buffer[this.length] = FIXSTR | text.length;
    this.length = at;
    this.count++;
    return true;
  }

  /**
   * Starts a string written in pieces (ascii / utf8 / byte, then closeString): its header is a str 32
   * whose length is filled in at the end, so the text never exists as one JavaScript string.
   * Returns where it starts, for closeString.
   */
  openString(): number {
    this.reserve(5);
    const start = this.length;
    this.buffer[start] = STR32;
    this.length += 5;
    return start;
  }

  /** Ends the string openString() started at `start`. */
  closeString(start: number): void {
    this.buffer.writeUInt32BE(this.length - start - 5, start + 1);
    this.count++;
  }

  /** Text known to be ASCII (digits, literals), inside an open string. */
  ascii(text: string): void {
    this.reserve(text.length);
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < text.length; i++) buffer[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /**
   * Any text as UTF-8 (a lone surrogate as U+FFFD, like Buffer), inside an open string. A short
   * ASCII text (names, small values) is copied by hand: cheaper than the native call.
   */
  utf8(text: string): void {
    this.reserve(text.length * 3);
    const buffer = this.buffer;
    const start = this.length;
    if (text.length < 32) {
      let at = start;
      let i = 0;
      for (; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[at++] = code;
      }
      if (i === text.length) {
        this.length = at;
        return;
      }
    }
    this.length = start + utf8Write.call(buffer, text, start);
  }

  /** One byte, inside an open string. */
  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** Appends a non-negative integer below 2^32. */
  uint(value: number): void {
    this.reserve(5);
    if (value < 0x80) this.buffer[this.length++] = value;
    else {
      this.buffer[this.length] = UINT32;
      this.buffer.writeUInt32BE(value, this.length + 1);
      this.length += 5;
    }
    this.count++;
  }

  /** The packed array (a view of the internal buffer: do not write more afterwards). */
  finish(): Buffer {
    this.buffer[0] = ARRAY32;
    this.buffer.writeUInt32BE(this.count, 1);
    return this.buffer.subarray(0, this.length);
  }

  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.discard(this.buffer);
    this.buffer = grown;
  }
}
