/**
 * The roles `distributary run` composes in one process (or one of them with --only). Each role is a
 * start(config) → stop() pair around the module of its app (apps/connector, apps/sink-worker,
 * apps/admin). A role's module is imported only when that role starts, so `run --only connector`
 * never loads NestJS modules, sinks or clients of the roles it does not run.
 */
import { roleDescriptions } from './descriptions';
import type { RoleDefinition, RoleName, StartRole } from './role';

function lazyRole(name: RoleName, load: () => Promise<StartRole>): RoleDefinition {
  return {
    name,
    description: roleDescriptions[name],
    start: async (config) => (await load())(config),
  };
}

const loaders: Record<RoleName, () => Promise<StartRole>> = {
  connector: async () => (await import('./connector-role')).startConnectorRole,
  worker: async () => (await import('./worker-role')).startWorkerRole,
  admin: async () => (await import('./admin-role')).startAdminRole,
  gateway: async () => (await import('./gateway-role')).startGatewayRole,
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
