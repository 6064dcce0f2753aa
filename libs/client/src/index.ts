export { subscribe, subscriptionUrl, type SubscribeOptions, type Subscription } from './subscribe';
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
