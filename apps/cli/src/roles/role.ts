import type { DistributaryConfig } from '@distributary/config';

export const ROLE_NAMES = ['connector', 'worker', 'admin', 'gateway'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface RunningRole {
  /** Graceful stop: finish what is in flight, commit, release leases, close connections. */
  stop(): Promise<void>;
  /** Settles when the role ends on its own; rejects on a fatal error (then the process stops). */
  done?: Promise<void>;
}

/** One process role `distributary run` can host. `start` is absent when this build lacks the role. */
export interface RoleDefinition {
  name: RoleName;
  description: string;
  start?: (config: DistributaryConfig) => Promise<RunningRole>;
  /** Why the role is not available, when `start` is absent. */
  unavailable?: string;
}
