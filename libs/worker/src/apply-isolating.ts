import { describeError, type ApplyResult, type ChangeEvent } from '@distributary/core';

export interface BatchEntry {
  /** The log entry ID of the event. */
  id: string;
  event: ChangeEvent;
}

/** One apply of a (sub-)batch: its result, or the permanent error it failed with (transient ones are retried inside). */
export type ApplyAttempt = { result: ApplyResult } | { permanent: unknown };

/**
 * Applies `entries` (in log order, ending at `lastId`) so that a permanent error never holds the
 * partition: a (sub-)batch that fails permanently is halved and each half applied in order, until the
 * events that cause the error stand alone; those are returned in `rejected` (dead-lettered by the
 * caller) and every other event is applied. A sub-batch ends at its own last entry, so a sink that
 * stores positions never records a position past events it has not applied yet. A batch with one
 * poison event costs about 2·log2(n) applies; each apply is idempotent, so re-applying is safe.
 */
export async function applyIsolating(
  entries: readonly BatchEntry[],
  lastId: string,
  applyOnce: (events: ChangeEvent[], lastId: string) => Promise<ApplyAttempt>,
): Promise<ApplyResult> {
  const attempt = await applyOnce(
    entries.map((entry) => entry.event),
    lastId,
  );
  if ('result' in attempt) return attempt.result;
  if (entries.length === 1)
    return {
      applied: 0,
      skippedAsStale: 0,
      rejected: [{ event: entries[0].event, error: describeError(attempt.permanent) }],
    };
  const middle = Math.ceil(entries.length / 2);
  const first = entries.slice(0, middle);
  const before = await applyIsolating(first, first[first.length - 1].id, applyOnce);
  const after = await applyIsolating(entries.slice(middle), lastId, applyOnce);
  return {
    applied: before.applied + after.applied,
    skippedAsStale: before.skippedAsStale + after.skippedAsStale,
    rejected: [...before.rejected, ...after.rejected],
  };
}
