import { BucketDigests, bucketOf } from './bucket-digest';
import { canonicalJson } from './canonical-json';

/** One side of a comparison: streams (key, value) pairs; `onlyBuckets` lets the drill-down re-read a subset. */
export interface KeyedSide {
  describe: string;
  scan(filter?: (key: string) => boolean): AsyncIterable<[string, unknown]>;
}

export interface Difference {
  key: string;
  expected?: unknown;
  actual?: unknown;
}

export interface ComparisonReport {
  expectedCount: number;
  actualCount: number;
  buckets: number;
  differingBuckets: number;
  missing: Difference[];
  extra: Difference[];
  different: Difference[];
  /** Totals (the lists above keep at most `examples` each). */
  missingCount: number;
  extraCount: number;
  differentCount: number;
}

async function digest(side: KeyedSide, buckets: number): Promise<{ digests: BucketDigests; count: number }> {
  const digests = new BucketDigests(buckets);
  let count = 0;
  for await (const [key, value] of side.scan()) {
    digests.add(key, canonicalJson(value));
    count++;
  }
  return { digests, count };
}

async function collect(side: KeyedSide, wanted: Set<number>, buckets: number): Promise<Map<string, unknown>> {
  const values = new Map<string, unknown>();
  for await (const [key, value] of side.scan((k) => wanted.has(bucketOf(k, buckets)))) {
    if (wanted.has(bucketOf(key, buckets))) values.set(key, value);
  }
  return values;
}

/** Compares expected (from the source) with actual (the derived store), drilling into differing buckets. */
export async function compareSides(
  expected: KeyedSide,
  actual: KeyedSide,
  options: {
    buckets?: number;
    examples?: number;
    /** Decides equality of differing values (default: same canonical JSON), e.g. to tolerate float rounding. */
    equal?: (expected: unknown, actual: unknown) => boolean;
  } = {},
): Promise<ComparisonReport> {
  const equal = options.equal ?? ((a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b));
  const buckets = options.buckets ?? 256;
  const examples = options.examples ?? 10;
  const [left, right] = await Promise.all([digest(expected, buckets), digest(actual, buckets)]);
  const differing = left.digests.differingBuckets(right.digests);
  const report: ComparisonReport = {
    expectedCount: left.count,
    actualCount: right.count,
    buckets,
    differingBuckets: differing.length,
    missing: [],
    extra: [],
    different: [],
    missingCount: 0,
    extraCount: 0,
    differentCount: 0,
  };
  if (differing.length === 0) return report;
  const wanted = new Set(differing);
  const [want, have] = await Promise.all([collect(expected, wanted, buckets), collect(actual, wanted, buckets)]);
  for (const [key, value] of want) {
    if (!have.has(key)) {
      report.missingCount++;
      if (report.missing.length < examples) report.missing.push({ key, expected: value });
    } else if (!equal(value, have.get(key))) {
      report.differentCount++;
      if (report.different.length < examples) report.different.push({ key, expected: value, actual: have.get(key) });
    }
  }
  for (const [key, value] of have) {
    if (!want.has(key)) {
      report.extraCount++;
      if (report.extra.length < examples) report.extra.push({ key, actual: value });
    }
  }
  return report;
}

export function isClean(report: ComparisonReport): boolean {
  return report.missingCount + report.extraCount + report.differentCount === 0;
}
