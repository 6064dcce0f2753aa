/** The elements of a packed call (what Redis's cmsgpack.unpack gives the script): strings and integers. */
export function unpackCall(packed: Buffer): (string | number)[] {
  if (packed[0] !== 0xdd) throw new Error('not an array 32');
  const count = packed.readUInt32BE(1);
  const out: (string | number)[] = [];
  let at = 5;
  const text = (length: number, header: number): string => {
    const value = packed.toString('utf8', at + header, at + header + length);
    at += header + length;
    return value;
  };
  for (let i = 0; i < count; i++) {
    const tag = packed[at];
    if (tag < 0x80) out.push(packed[at++]);
    else if ((tag & 0xe0) === 0xa0) out.push(text(tag & 0x1f, 1));
    else if (tag === 0xd9) out.push(text(packed[at + 1], 2));
    else if (tag === 0xda) out.push(text(packed.readUInt16BE(at + 1), 3));
    else if (tag === 0xdb) out.push(text(packed.readUInt32BE(at + 1), 5));
    else if (tag === 0xce) {
      out.push(packed.readUInt32BE(at + 1));
      at += 5;
    } else throw new Error(`unexpected msgpack tag ${tag}`);
  }
  if (at !== packed.length) throw new Error(`${packed.length - at} bytes after the last element`);
  return out;
}
