import { Client } from 'pg';
import { stack } from './stack';

/**
 * Connections to a throwaway PostgreSQL cluster whose commits can be held: with
 * synchronous_standby_names naming a standby that never connects ('ghost_standby'), every COMMIT
 * stays waiting after it is decoded, so it is in the WAL (and the log) but invisible to new snapshots.
 * Holding stalls every commit of the server, so the shared stack's server is refused.
 */
export class GhostStandby {
  static readonly NAME = 'ghost_standby';
  private readonly clients: Client[] = [];
  private admin: Promise<Client> | undefined;

  constructor(private readonly url: string) {
    if (new URL(url).port === String(stack.pgPort))
      throw new Error(`GhostStandby needs a throwaway cluster, not the shared stack's server (${url})`);
  }

  /** A connected client, ended by close(). */
  async connect(): Promise<Client> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    this.clients.push(client);
    return client;
  }

  /** From now on every commit waits for the ghost standby. */
  hold(): Promise<void> {
    return this.setStandbys(`'${GhostStandby.NAME}'`);
  }

  /** Lets held and later commits through. */
  release(): Promise<void> {
    return this.setStandbys(`''`);
  }

  /** Releases commits (a failed test must not leave them waiting), then ends every client. */
  async close(): Promise<void> {
    await this.release().catch(() => undefined);
    for (const client of this.clients) await client.end().catch(() => undefined);
    this.clients.length = 0;
    this.admin = undefined;
  }

  private async setStandbys(literal: string): Promise<void> {
    this.admin ??= this.connect();
    const admin = await this.admin;
    await admin.query(`ALTER SYSTEM SET synchronous_standby_names = ${literal}`);
    await admin.query('SELECT pg_reload_conf()');
  }
}
