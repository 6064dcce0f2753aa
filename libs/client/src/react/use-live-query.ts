/**
 * useLiveQuery(name, params, options): a live subscription as React state. The rows re-render on
 * every change (bursts coalesced into one update); the subscription reconnects, resumes and
 * renews its token on its own, and closes when the component unmounts or name/params change.
 */
import { useEffect, useRef, useState } from 'react';
import type { SubscriptionError } from '../errors';
import { subscriptionUrl } from '../stream-url';
import { subscribe } from '../subscribe';
import type { SubscribeOptions } from '../subscribe-options';
import type { Row, SubscriptionParams, SubscriptionStatus, SubscriptionTypes } from '../types';

export interface LiveQueryOptions<R extends Row> extends Pick<
  SubscribeOptions<R>,
  'token' | 'getToken' | 'after' | 'backoff' | 'idleTimeoutMs' | 'fetch'
> {
  /** The gateway's base URL, e.g. http://127.0.0.1:8090. */
  gatewayUrl: string;
  /** false: do not subscribe (yet), e.g. until a parameter is known. */
  enabled?: boolean;
}

export interface LiveQueryResult<R extends Row> {
  /** The copy's rows, in the order the gateway first sent them (sort them for display). */
  rows: R[];
  status: SubscriptionStatus;
  /** True once the copy is complete (after the first `ready`, until a `reset`). */
  ready: boolean;
  /** The last error (cleared at the next `ready`); `error.fatal` means the subscription gave up. */
  error: SubscriptionError | undefined;
  lastEventId: string | undefined;
}

function initial<R extends Row>(): LiveQueryResult<R> {
  return { rows: [], status: 'connecting', ready: false, error: undefined, lastEventId: undefined };
}

export function useLiveQuery<R extends Row = Row>(
  name: string,
  params: SubscriptionParams,
  options: LiveQueryOptions<R>,
): LiveQueryResult<R> {
  const [state, setState] = useState<LiveQueryResult<R>>(initial);
  const latest = useRef(options);
  latest.current = options;
  const paramsKey = JSON.stringify(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const { gatewayUrl, enabled = true, token } = options;

  useEffect(() => {
    if (!enabled) return;
    setState(initial<R>());
    const { getToken, after, backoff, idleTimeoutMs, fetch } = latest.current;
    let scheduled = false;
    const publish = (patch: Partial<LiveQueryResult<R>> = {}) => {
      setState((previous) => ({ ...previous, ...patch, lastEventId: subscription.lastEventId }));
      if (scheduled) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        setState((previous) => ({ ...previous, rows: [...subscription.rows().values()] }));
      });
    };
    const subscription = subscribe<R>(subscriptionUrl(gatewayUrl, name), {
      params: Object.fromEntries(JSON.parse(paramsKey) as [string, string | number][]),
      token,
      getToken: getToken ? () => latest.current.getToken!() : undefined,
      after,
      backoff,
      idleTimeoutMs,
      fetch,
      onReady: () => publish({ ready: true, error: undefined }),
      onChange: () => publish(),
      onReset: () => publish({ ready: false }),
      onStatus: (status) => publish({ status }),
      onError: (error) => publish({ error }),
    });
    return () => subscription.close();
  }, [gatewayUrl, name, paramsKey, token, enabled]);

  return state;
}

/**
 * useLiveQuery typed by the application's subscriptions (e.g. the `Subscriptions` type that
 * `distributary client types` generates): names, parameters and rows are checked at compile time.
 *
 *   const useShopQuery = liveQueryHook<Subscriptions>();
 *   const { rows } = useShopQuery('products-by-category', { category: 3 }, { gatewayUrl, getToken });
 */
export function liveQueryHook<T extends SubscriptionTypes>() {
  return function useTypedLiveQuery<N extends keyof T & string>(
    name: N,
    params: T[N]['params'],
    options: LiveQueryOptions<T[N]['row']>,
  ): LiveQueryResult<T[N]['row']> {
    return useLiveQuery<T[N]['row']>(name, params, options);
  };
}
