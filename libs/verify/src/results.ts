import type { LogKeys, RedisClient } from '@distributary/changelog';
import { parseLsn } from '@distributary/core';
import { gauge } from '@distributary/observability';
import type { VerifyResult } from './verify-sink';
import type { RepairReport } from './repair/repair-sink';

/** The last verification result per sink, in the log Redis (hash keys.verifyResults()), for the admin API. */
export interface StoredVerifyResult extends VerifyResult {
  repair?: RepairReport;
  /** When a repair ran: the result of the verification after it. */
  afterRepair?: VerifyResult;
}

const mismatches = gauge(
  'distributary_verify_mismatches',
  'Keys that differ between source and sink at the last verification',
  ['sink', 'kind'],
);
const lastLsn = gauge('distributary_verify_last_lsn', 'Source LSN (as a number) of the last verification', ['sink']);
const lastTime = gauge('distributary_verify_last_time_seconds', 'Unix time of the last verification', ['sink']);
const lastStatus = gauge('distributary_verify_clean', '1 when the last verification was clean, 0 otherwise', ['sink']);

export function recordVerifyMetrics(result: VerifyResult): void {
  const final = result;
  mismatches.set({ sink: final.sink, kind: 'missing' }, final.missingCount);
  mismatches.set({ sink: final.sink, kind: 'extra' }, final.extraCount);
  mismatches.set({ sink: final.sink, kind: 'different' }, final.differentCount);
  if (final.lsn) lastLsn.set({ sink: final.sink }, Number(parseLsn(final.lsn)));
  lastTime.set({ sink: final.sink }, Date.parse(final.verifiedAt) / 1000);
  lastStatus.set({ sink: final.sink }, final.status === 'clean' ? 1 : 0);
}

export async function storeVerifyResult(redis: RedisClient, keys: LogKeys, result: StoredVerifyResult): Promise<void> {
  recordVerifyMetrics(result.afterRepair ?? result);
  await redis.hset(keys.verifyResults(), result.sink, JSON.stringify(result));
}

export async function readVerifyResults(redis: RedisClient, keys: LogKeys): Promise<StoredVerifyResult[]> {
  const raw = await redis.hgetall(keys.verifyResults());
  return Object.values(raw)
    .map((text) => JSON.parse(text) as StoredVerifyResult)
    .sort((a, b) => a.sink.localeCompare(b.sink));
}
