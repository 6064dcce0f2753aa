/**
 * READ YOUR WRITES. With `?after=<lsn>` (a source LSN), a subscriber's `ready` waits until the
 * gateway has passed it (lsn-watch.ts): the initial rows (or the resume's catch-up) then include
 * the client's write. The wait is bounded by gateway.afterTimeout.
 */
import { exactJson, formatLsn } from '@distributary/core';

/** `?after=` was not passed within gateway.afterTimeout. */
export class AfterTimeout extends Error {}

/**
 * Waits for `passed(after, abandoned)` at most `timeoutMs`, else rejects with AfterTimeout (then
 * `abandoned()` says true to the watch, as it does when `gaveUp()` does).
 */
export async function waitPassed(
  passed: (lsn: bigint, abandoned: () => boolean) => Promise<void>,
  after: bigint,
  timeoutMs: number,
  gaveUp: () => boolean,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  try {
    await Promise.race([
      passed(after, () => timedOut || gaveUp()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          reject(new AfterTimeout());
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The `error` event's data when `?after=` timed out. */
export function afterTimeoutData(after: bigint | undefined, timeoutMs: number): string {
  const lsn = after === undefined ? '' : formatLsn(after);
  const seconds = timeoutMs / 1000;
  return exactJson({
    reason: 'after-timeout',
    message: `the gateway did not pass ?after=${lsn} within ${seconds}s (gateway.afterTimeout): is the connector running?`,
  });
}
