/**
 * subscribe(): one live subscription to a Distributary gateway (docs/gateway.md). It keeps a
 * materialized copy of the matching rows (change-feed.ts), reconnects with backoff, resumes from
 * its last event id (no gap, no duplicate) (live-subscription.ts), mints a new token through
 * getToken() on `expired` (or a refused token) (token-source.ts), and starts over on `reset`.
 */
import { LiveSubscription } from './live-subscription';
import type { SubscribeOptions, Subscription } from './subscribe-options';
import type { Row, SubscriptionParams } from './types';

/** Opens a live subscription; `url` is the gateway's `/v1/subscriptions/<name>` (see subscriptionUrl()). */
export function subscribe<R extends Row = Row, P extends SubscriptionParams = SubscriptionParams>(
  url: string,
  options: SubscribeOptions<R, P>,
): Subscription<R> {
  return new LiveSubscription<R>(url, options as SubscribeOptions<R>);
}
