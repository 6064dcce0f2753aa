import { canonicalKey } from './codec';

/**
 * FNV-1a, 32-bit, over the UTF-8 bytes of `text`: stable across processes and versions, cheap, well
 * spread for short keys. Encodes UTF-8 on the fly (no Buffer per call); a lone surrogate counts as
 * U+FFFD, exactly as Buffer.from(text, 'utf8') would encode it.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      hash = Math.imul(hash ^ code, 0x01000193);
      continue;
    }
    if (code < 0x800) {
      hash = mix(hash, 0xc0 | (code >> 6));
      hash = mix(hash, 0x80 | (code & 0x3f));
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
        hash = mix(hash, 0xf0 | (code >> 18));
        hash = mix(hash, 0x80 | ((code >> 12) & 0x3f));
        hash = mix(hash, 0x80 | ((code >> 6) & 0x3f));
        hash = mix(hash, 0x80 | (code & 0x3f));
        continue;
      }
      code = 0xfffd;
    }
    hash = mix(hash, 0xe0 | (code >> 12));
    hash = mix(hash, 0x80 | ((code >> 6) & 0x3f));
    hash = mix(hash, 0x80 | (code & 0x3f));
  }
  return hash >>> 0;
}

function mix(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, 0x01000193);
}

/** The partition of an already canonicalised key (see canonicalKey): hash it once, reuse it. */
export function partitionOfCanonicalKey(canonical: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`partitions must be a positive integer`);
  return fnv1a32(canonical) % partitions;
}

/** partition = hash(table, key) mod N — every event of one key lands in one partition, in order. */
export function partitionFor(table: string, key: Record<string, unknown>, partitions: number): number {
  return partitionOfCanonicalKey(canonicalKey(table, key), partitions);
}
