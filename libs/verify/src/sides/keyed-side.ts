import type { Row } from '@distributary/core';
import type { KeyedSide } from '../compare';
import { inSample, type KeySample } from './sampling';

/**
 * Produces (key, value) pairs; `want(key)` lets a producer skip building values nobody asked for.
 * `drilling` is true on the drill-down re-read of differing buckets: only then do producers remember
 * the source key behind each pair (for repair), so a full pass never holds every key in memory.
 */
export type PairSource = (want: (key: string) => boolean, drilling: boolean) => AsyncIterable<[string, unknown]>;

export function keyedSide(describe: string, pairs: PairSource, sample?: KeySample): KeyedSide {
  const want = (filter?: (key: string) => boolean) => (key: string) =>
    inSample(sample, key) && (!filter || filter(key));
  return {
    describe,
    async *scan(filter?: (key: string) => boolean) {
      const wanted = want(filter);
      for await (const pair of pairs(wanted, filter !== undefined)) if (wanted(pair[0])) yield pair;
    },
  };
}

/**
 * Both sides of one sink plus what repair needs: the source row key behind an expected key (recorded
 * while the drill-down re-reads the differing buckets) and how many source rows there are (for sampling).
 */
export interface SinkSides {
  /** The source table whose rows the sink's keys derive from (the fact table for views). */
  table: string;
  expected: KeyedSide;
  actual: KeyedSide;
  sourceKeyOf(key: string): Row | undefined;
  /** Missing keys that are a valid state of this target (e.g. expired cache values), not differences. */
  ignoreMissing?(key: string): boolean;
  /** Equality of an expected and an actual value where plain canonical JSON is too strict (view float sums). */
  equal?(expected: unknown, actual: unknown): boolean;
  close(): Promise<void>;
}
