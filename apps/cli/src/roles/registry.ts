/**
 * The roles `distributary run` composes in one process (or one of them with --only). Each role is a
 * start(config) → stop() pair around the module of its app (apps/connector, apps/sink-worker,
 * apps/admin). A role's module is imported only when that role starts, so `run --only connector`
 * never loads NestJS modules, sinks or clients of the roles it does not run.
 */
import type { DistributaryConfig } from '@distributary/config';
import { NotAvailableError } from '../exit-codes';
import { roleDescriptions } from './descriptions';
import type { RoleDefinition, RoleName, RunningRole } from './role';

function lazyRole(name: RoleName, load: () => Promise<RoleDefinition>): RoleDefinition {
  return {
    name,
    description: roleDescriptions[name],
    start: async (config: DistributaryConfig): Promise<RunningRole> => {
      const role = await load();
      if (!role.start) throw new NotAvailableError(`the ${name} role`);
      return role.start(config);
    },
  };
}

const loaders: Record<RoleName, () => Promise<RoleDefinition>> = {
  connector: async () => (await import('./connector-role')).connectorRole,
  worker: async () => (await import('./worker-role')).workerRole,
  admin: async () => (await import('./admin-role')).adminRole,
  gateway: async () => (await import('./gateway-role')).gatewayRole,
};

export const roles: Record<RoleName, RoleDefinition> = {
  connector: lazyRole('connector', loaders.connector),
  worker: lazyRole('worker', loaders.worker),
  admin: lazyRole('admin', loaders.admin),
  gateway: lazyRole('gateway', loaders.gateway),
};

/** Loads a role's modules without starting it: a role's process does it while `run` runs its preflight. */
export async function preloadRole(name: RoleName): Promise<void> {
  await loaders[name]();
}
