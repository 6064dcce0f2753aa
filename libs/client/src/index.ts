export { subscribe } from './subscribe';
export { subscriptionUrl } from './stream-url';
export type { SubscribeOptions, Subscription } from './subscribe-options';
export { createClient, type ClientDefaults, type GatewayClient } from './client';
export { SubscriptionError } from './errors';
export { keyString } from './row-copy';
export type { BackoffOptions } from './backoff';
export type {
  Change,
  ChangeKind,
  Row,
  RowKey,
  SubscriptionParams,
  SubscriptionStatus,
  SubscriptionTypes,
} from './types';
