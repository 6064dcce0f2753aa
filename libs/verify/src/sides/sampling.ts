import { bucketOf } from '../bucket-digest';

/**
 * Sample mode: both sides keep only the keys whose hash falls in one of `modulus` classes, so the
 * sample is the same set of keys on the source and the target (a random pick per side would compare
 * different keys). Full mode keeps everything.
 */
export interface KeySample {
  modulus: number;
  pick: number;
}

export function sampleFor(total: number, sampleSize: number | undefined): KeySample | undefined {
  if (!sampleSize || total <= sampleSize) return undefined;
  const modulus = Math.ceil(total / sampleSize);
  return { modulus, pick: Math.floor(Math.random() * modulus) };
}

export function inSample(sample: KeySample | undefined, key: string): boolean {
  return !sample || bucketOf(`sample:${key}`, sample.modulus) === sample.pick;
}
