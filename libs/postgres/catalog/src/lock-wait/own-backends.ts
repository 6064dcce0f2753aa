import type { Pool, PoolClient } from 'pg';

/**
 * The PostgreSQL backend pids of one process's own connections (its pools), so a watcher can ask the
 * server what exactly those backends wait for. A pool is tracked from its creation: every client it
 * connects adds its pid, every client it removes takes it away.
 */
export class OwnBackends {
  private readonly pids = new Set<number>();

  track(pool: Pool): Pool {
    pool.on('connect', (client) => this.add(client));
    pool.on('remove', (client) => this.remove(client));
    return pool;
  }

  list(): number[] {
    return [...this.pids];
  }

  private add(client: PoolClient): void {
    const pid = processId(client);
    if (pid !== null) this.pids.add(pid);
  }

  private remove(client: PoolClient): void {
    const pid = processId(client);
    if (pid !== null) this.pids.delete(pid);
  }
}

/** node-pg keeps the backend's pid from BackendKeyData as `processID` (not in its type declarations). */
function processId(client: PoolClient): number | null {
  const pid = (client as unknown as { processID?: number | null }).processID;
  return typeof pid === 'number' && pid > 0 ? pid : null;
}
