/**
 * `run --only <role>`: the one role in this process, as Helm/Kubernetes run it (a pod per role).
 * It publishes its pid and memory for `distributary status` like a role's process under `run`.
 */
import type { DistributaryConfig } from '@distributary/config';
import type { RoleDefinition, RunningRole } from '../roles/role';
import { publishProcessStatus } from './process-status';
import { RoleFailedError } from './role-failed';

export type NamedRole = RunningRole & { name: string };

export async function startInProcess(role: RoleDefinition, config: DistributaryConfig): Promise<NamedRole> {
  let running: RunningRole;
  try {
    running = await role.start(config);
  } catch (error) {
    throw new RoleFailedError(role.name, 'failed to start', error, []);
  }
  const published = await publishProcessStatus(config, role.name);
  return {
    name: role.name,
    done: running.done,
    stop: async () => {
      await published.stop();
      await running.stop();
    },
  };
}
