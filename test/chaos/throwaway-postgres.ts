/**
 * A throwaway PostgreSQL cluster for one chaos run (initdb'd under .local/chaos/, wal_level=logical,
 * its own port), so the run can restart it without touching the shared stack's server.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@distributary/testkit';
import { onAbruptExit } from '../harness/exit-guard';
import { asServiceUser, handToServiceUser, pgBinDir, runAsServiceUser } from './service-user';

export class ThrowawayPostgres {
  private readonly releaseGuard: () => void;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.releaseGuard = onAbruptExit(() => {
      const stop = asServiceUser(join(pgBinDir(), 'pg_ctl'), ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
      execFileSync(stop.command, stop.args, { stdio: 'ignore' });
    });
  }

  /** `settings`: extra postgresql.conf lines (e.g. a small max_slot_wal_keep_size for slot-loss tests). */
  static async create(dir: string, settings: string[] = []): Promise<ThrowawayPostgres> {
    mkdirSync(dir, { recursive: true });
    handToServiceUser(dir);
    const data = join(dir, 'data');
    const port = await freePort();
    await runAsServiceUser(join(pgBinDir(), 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ]);
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        `unix_socket_directories = '${dir}'`,
        'wal_level = logical',
        'max_replication_slots = 8',
        'max_wal_senders = 8',
        'max_connections = 60',
        'shared_buffers = 64MB',
        'fsync = on',
        ...settings,
        '',
      ].join('\n'),
    );
    appendFileSync(join(data, 'pg_hba.conf'), 'host all,replication all 127.0.0.1/32 trust\n');
    writeFileSync(join(dir, 'README'), 'throwaway PostgreSQL of one chaos run; removed at its end\n');
    const pg = new ThrowawayPostgres(dir, port);
    await pg.start();
    return pg;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private get data(): string {
    return join(this.dir, 'data');
  }

  async start(): Promise<void> {
    await runAsServiceUser(join(pgBinDir(), 'pg_ctl'), [
      '-D',
      this.data,
      '-l',
      join(this.dir, 'postgres.log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }

  /** Crash-restart: immediate shutdown (no checkpoint, like a power cut to the server), then start. */
  async restart(): Promise<void> {
    await runAsServiceUser(join(pgBinDir(), 'pg_ctl'), ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
    await this.start();
  }

  /** Leave the server running when this process exits (a kept run); stop it with pg_ctl yourself. */
  keepRunning(): void {
    this.releaseGuard();
  }

  async destroy(): Promise<void> {
    this.releaseGuard();
    await runAsServiceUser(join(pgBinDir(), 'pg_ctl'), ['-D', this.data, '-m', 'immediate', '-w', 'stop']).catch(
      () => undefined,
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
