import { sleep } from '@distributary/core';

/** True when `work` settled within `ms` (its outcome is ignored); false when the wait gave up. */
export async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  const bound = new AbortController();
  const settled = work.then(
    () => true,
    () => true,
  );
  const inTime = await Promise.race([settled, sleep(ms, bound.signal).then(() => false)]);
  bound.abort();
  return inTime;
}
