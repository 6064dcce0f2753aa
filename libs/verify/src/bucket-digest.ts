import { createHash } from 'node:crypto';

/** One bucket: how many pairs landed in it and the 64-bit sum of their hashes. */
export interface BucketDigest {
  count: number;
  sum: bigint;
}

const MASK = (1n << 64n) - 1n;

function hash64(text: string): bigint {
  return createHash('sha1').update(text).digest().readBigUInt64BE(0);
}

export function bucketOf(key: string, buckets: number): number {
  return Number(hash64(`k:${key}`) % BigInt(buckets));
}

/**
 * Merkle-style comparison without holding either side in memory: every (key, value) pair lands in
 * one of B buckets by a hash of its key; a bucket's digest is the count and the 64-bit sum of the
 * pair hashes (order-independent, so each side can be streamed in any order). Only buckets whose
 * digests differ are drilled into, key by key.
 */
export class BucketDigests {
  readonly digests: BucketDigest[];

  constructor(readonly buckets: number) {
    this.digests = Array.from({ length: buckets }, () => ({ count: 0, sum: 0n }));
  }

  add(key: string, value: string): void {
    const digest = this.digests[bucketOf(key, this.buckets)];
    digest.count++;
    digest.sum = (digest.sum + hash64(`${key}\u0000${value}`)) & MASK;
  }

  /** Buckets whose digests differ from `other`'s. */
  differingBuckets(other: BucketDigests): number[] {
    const result: number[] = [];
    for (let b = 0; b < this.buckets; b++) {
      const mine = this.digests[b];
      const theirs = other.digests[b];
      if (mine.count !== theirs.count || mine.sum !== theirs.sum) result.push(b);
    }
    return result;
  }
}
