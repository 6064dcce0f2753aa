/**
 * `run`'s preflight: the offline checks `validate` makes, then the servers (reachability, privileges,
 * wal_level). A refusal is a ConfigFileError naming the file and each config path (exit 2), raised
 * before run creates a slot, a publication, an index or a key.
 */
import { ConfigFileError, formatPath, locateInFile, type DistributaryConfig } from '@distributary/config';
import { backoffDelay, sleep } from '@distributary/core';
import type { RoleName } from '../roles/role';
import { checkOffline } from './offline';
import { checkServers } from './reachability';

export { checkOffline } from './offline';
export { checkServers, type PreflightProblem } from './reachability';

/** How long unreachable servers are waited for (they may be restarting) before run refuses. */
export const PREFLIGHT_WAIT_ENV = 'DISTRIBUTARY_PREFLIGHT_WAIT_MS';
const DEFAULT_WAIT_MS = 60_000;

export async function preflight(file: string, config: DistributaryConfig, roles: readonly RoleName[]): Promise<void> {
  await checkOffline(file, config, roles);
  const waitMs = Number(process.env[PREFLIGHT_WAIT_ENV] ?? DEFAULT_WAIT_MS);
  const deadline = Date.now() + (Number.isFinite(waitMs) && waitMs >= 0 ? waitMs : DEFAULT_WAIT_MS);
  let problems = await checkServers(config, roles);
  // Refusals (privileges, wal_level, a missing table, a database Redis lacks) are final; a server that
  // does not answer is waited for, with backoff, as `run` waits for the log Redis.
  for (
    let attempt = 0;
    problems.length > 0 && problems.every((p) => p.unreachable) && Date.now() < deadline;
    attempt++
  ) {
    const delay = Math.min(backoffDelay(attempt, { baseMs: 500, capMs: 5000 }), Math.max(0, deadline - Date.now()));
    process.stderr.write(
      `waiting for ${problems.map((p) => formatPath(p.path)).join(', ')} (${problems[0].message}); retrying in ${delay} ms\n`,
    );
    await sleep(delay);
    problems = await checkServers(config, roles);
  }
  if (problems.length > 0) {
    throw new ConfigFileError(
      file,
      problems.map((p) => ({ path: formatPath(p.path), message: p.message, ...locateInFile(file, p.path) })),
    );
  }
}
