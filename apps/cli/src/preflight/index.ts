/**
 * `run`'s preflight: the offline checks `validate` makes, then the servers (reachability, privileges,
 * wal_level). A refusal is a ConfigFileError naming the file and each config path (exit 2), raised
 * before run creates a slot, a publication, an index or a key.
 */
import { ConfigFileError, formatPath, locateInFile, type DistributaryConfig } from '@distributary/config';
import type { RoleName } from '../roles/role';
import { checkOffline } from './offline';
import { checkServers } from './reachability';

export { checkOffline } from './offline';
export { checkServers, type PreflightProblem } from './reachability';

export async function preflight(file: string, config: DistributaryConfig, roles: readonly RoleName[]): Promise<void> {
  await checkOffline(file, config, roles);
  const problems = await checkServers(config, roles);
  if (problems.length > 0) {
    throw new ConfigFileError(
      file,
      problems.map((p) => ({ path: formatPath(p.path), message: p.message, ...locateInFile(file, p.path) })),
    );
  }
}
