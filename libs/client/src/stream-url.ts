/** The URLs of a subscription's stream on a gateway. */
import type { SubscriptionParams } from './types';

/** The stream URL of a subscription on a gateway (`http://host:8090` + name). */
export function subscriptionUrl(gatewayUrl: string, name: string): string {
  let end = gatewayUrl.length;
  while (end > 0 && gatewayUrl[end - 1] === '/') end--;
  return `${gatewayUrl.slice(0, end)}/v1/subscriptions/${encodeURIComponent(name)}`;
}

/**
 * `url` (relative to the page in a browser) with the subscription's parameters and `?after=` in its
 * query string; throws on a malformed URL.
 */
export function streamUrl(url: string, params: SubscriptionParams | undefined, after: string | undefined): string {
  const stream = new URL(url, (globalThis as { location?: { href: string } }).location?.href);
  for (const [name, value] of Object.entries(params ?? {})) stream.searchParams.set(name, String(value));
  if (after !== undefined) stream.searchParams.set('after', after);
  return stream.toString();
}
