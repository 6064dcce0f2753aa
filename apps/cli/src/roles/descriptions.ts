import type { RoleName } from './role';

/** For help texts, without loading the roles' modules. */
export const roleDescriptions: Record<RoleName, string> = {
  connector: 'tails the WAL into the change log (one leader per slot, others stand by)',
  worker: 'runs the sinks over the log partitions it owns, and log maintenance jobs',
  admin: 'admin REST API, server-sent events and the dashboard on admin.port',
  gateway: 'live subscriptions over SSE with valet-key tokens on gateway.port (only with `subscriptions`)',
};
