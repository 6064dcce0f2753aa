import type { ConnectorLease } from '@distributary/changelog';

/**
 * Renews the connector lease every `renewMs` while this instance leads, and calls `onLost(reason)`
 * whenever the lease may have lapsed: a renewal was refused (taken over or expired), or no renewal
 * succeeded within the TTL (the log Redis unreachable or overloaded, or this timer itself blocked).
 * The caller stops streaming at once and clears the returned timer when its term ends.
 */
export function renewWhileLeading(
  lease: ConnectorLease,
  ttlMs: number,
  renewMs: number,
  onLost: (reason: string) => void,
): NodeJS.Timeout {
  let lastRenewed = Date.now();
  let renewing = false;
  let renewSent = 0;
  let lastTick = Date.now();
  return setInterval(() => {
    const now = Date.now();
    const lateMs = now - lastTick - renewMs;
    lastTick = now;
    // A renewal that hangs (Redis unreachable) counts as failed once the TTL has run out; so does a
    // timer that could not run (event loop blocked): the lease may have lapsed meanwhile either way.
    if (now - lastRenewed > ttlMs) {
      onLost(
        `cannot renew the connector lease within its TTL of ${ttlMs} ms: ` +
          (renewing
            ? `a renewal has waited ${now - renewSent} ms for the log Redis (unreachable or overloaded?)`
            : `this renewal timer ran ${lateMs} ms late (event loop blocked?)`),
      );
      return;
    }
    if (renewing) return;
    renewing = true;
    renewSent = now;
    // The lease's new TTL starts when Redis runs the renewal, which is after it was sent: counting it
    // from the send (not from the reply) never believes in a lease that may already have lapsed.
    const sentAt = now;
    lease
      .renew()
      .then((renewed) => {
        if (renewed) lastRenewed = sentAt;
        else onLost('the connector lease was taken over or expired');
      })
      .catch(() => undefined)
      .finally(() => (renewing = false));
  }, renewMs);
}
