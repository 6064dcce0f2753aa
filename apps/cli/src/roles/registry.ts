/**
 * The roles `distributary run` composes in one process (or one of them with --only). Each role is a
 * start(config) → stop() pair around the module of its app (apps/connector, apps/sink-worker,
 * apps/admin).
 */
import { adminRole } from './admin-role';
import { connectorRole } from './connector-role';
import type { RoleDefinition, RoleName } from './role';
import { workerRole } from './worker-role';

export const roles: Record<RoleName, RoleDefinition> = {
  connector: connectorRole,
  worker: workerRole,
  admin: adminRole,
};
