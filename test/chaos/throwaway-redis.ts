/**
 * A throwaway Redis for one chaos run's change log: its own port and data dir under .local/chaos/,
 * AOF on with appendfsync always (a reply means on disk), run as our child so the run can kill -9 it
 * and start it again on the same data — never the shared :16379.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { connectRedis } from '@distributary/changelog';
import { freePort, waitFor } from '@distributary/testkit';
import { onAbruptExit } from '../harness/exit-guard';

export class ThrowawayRedis {
  private child: ChildProcess | undefined;
  private releaseGuard: () => void = () => undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(dir: string): Promise<ThrowawayRedis> {
    mkdirSync(dir, { recursive: true });
    const redis = new ThrowawayRedis(dir, await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--protected-mode',
        'no',
        '--logfile',
        `${this.dir}/redis.log`,
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    const release = onAbruptExit(() => child.kill('SIGKILL'));
    this.releaseGuard = () => {
      release();
    };
    child.once('exit', release);
    const probe = connectRedis({ url: this.url });
    probe.on('error', () => undefined); // refused until the server listens
    try {
      await waitFor('the chaos Redis to answer', async () => {
        if (child.exitCode !== null)
          throw new Error(`redis-server exited with ${child.exitCode}; see ${this.dir}/redis.log`);
        return (await probe.ping().catch(() => '')) === 'PONG';
      });
    } finally {
      probe.disconnect();
    }
  }

  /** Leave the server running when this process exits (a kept run). */
  keepRunning(): void {
    this.releaseGuard();
    this.child?.unref();
  }

  /** kill -9, then start again on the same AOF. */
  async restart(downMs = 1000): Promise<void> {
    await this.kill();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start();
  }

  private async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
