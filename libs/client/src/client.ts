/**
 * A gateway client typed from the application's subscriptions: declare each subscription's
 * parameters and row type once (mirroring `subscriptions:` in the config), then names, parameters
 * and rows are checked at compile time.
 *
 *   type Shop = { 'products-by-category': { params: { category: number }; row: Product } };
 *   const live = createClient<Shop>('http://127.0.0.1:8090', { getToken });
 *   live.subscribe('products-by-category', { category: 3 }, { onChange });
 */
import { subscriptionUrl } from './stream-url';
import { subscribe } from './subscribe';
import type { SubscribeOptions, Subscription } from './subscribe-options';
import type { SubscriptionTypes } from './types';

export type ClientDefaults = Pick<SubscribeOptions, 'backoff' | 'idleTimeoutMs' | 'fetch'> & {
  /** Mints a token for one subscription and its parameters (the application's backend). */
  getToken?: (name: string, params: Record<string, string | number>) => string | Promise<string>;
};

export interface GatewayClient<T extends SubscriptionTypes> {
  subscribe<N extends keyof T & string>(
    name: N,
    params: T[N]['params'],
    options?: Omit<SubscribeOptions<T[N]['row'], T[N]['params']>, 'params'>,
  ): Subscription<T[N]['row']>;
}

export function createClient<T extends SubscriptionTypes>(
  gatewayUrl: string,
  defaults: ClientDefaults = {},
): GatewayClient<T> {
  return {
    subscribe(name, params, options = {}) {
      const { getToken, ...rest } = defaults;
      const mint = getToken ? () => getToken(name, params) : undefined;
      return subscribe(subscriptionUrl(gatewayUrl, name), {
        ...rest,
        ...(mint && !options.token ? { getToken: mint } : {}),
        ...options,
        params,
      });
    },
  };
}
