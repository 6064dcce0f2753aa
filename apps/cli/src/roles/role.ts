import type { DistributaryConfig } from '@distributary/config';

export const ROLE_NAMES = ['connector', 'worker', 'admin', 'gateway'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface RunningRole {
  /** Graceful stop: finish what is in flight, commit, release leases, close connections. */
  stop(): Promise<void>;
  /** Settles when the role ends on its own; rejects on a fatal error (then the process stops). */
  done?: Promise<void>;
}

/** What a role's module exports: starts the role in this process. */
export type StartRole = (config: DistributaryConfig) => Promise<RunningRole>;

/** One process role `distributary run` can host. */
export interface RoleDefinition {
  name: RoleName;
  description: string;
  start: StartRole;
}
