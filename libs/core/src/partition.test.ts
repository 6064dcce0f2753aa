import { describe, expect, it } from 'vitest';
import { fnv1a32, partitionFor, partitionOfCanonicalKey } from './partition';
import { canonicalKey } from './codec';

/** The reference: FNV-1a over Buffer.from(text, 'utf8'), as the log was first partitioned. */
function reference(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash >>> 0;
}

describe('fnv1a32', () => {
  it('hashes the UTF-8 bytes exactly as the Buffer-based reference (ASCII, 2-, 3-, 4-byte, lone surrogates)', () => {
    const samples = [
      '',
      'public.docs:[["id",1]]',
      'é',
      'ß€',
      '日本語キー',
      '😀 emoji',
      'a\ud800b',
      '\udc00',
      'end\ud83d',
      'x'.repeat(1000),
    ];
    for (let code = 0; code < 0x3000; code += 7) samples.push(String.fromCharCode(code));
    for (const text of samples) expect(fnv1a32(text)).toBe(reference(text));
  });

  it('partitions a canonical key as partitionFor does', () => {
    for (let id = 0; id < 200; id++) {
      const key = { id, name: `ключ ${id}` };
      expect(partitionOfCanonicalKey(canonicalKey('public.t', key), 8)).toBe(partitionFor('public.t', key, 8));
      expect(partitionFor('public.t', key, 8)).toBe(reference(canonicalKey('public.t', key)) % 8);
    }
  });
});
