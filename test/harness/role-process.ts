import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { onAbruptExit } from './exit-guard';

export const repoRoot = resolve(__dirname, '../..');
const entry = resolve(__dirname, 'run-role.ts');

export type RoleName = 'connector' | 'worker';

/** One `distributary run --only <role>` child process. */
export class RoleProcess {
  readonly child: ChildProcess;
  output = '';
  private readonly exited: Promise<number | null>;

  constructor(
    readonly role: RoleName,
    configFile: string,
    readonly label: string,
    env: Record<string, string> = {},
    /** Also append the process output to this file. */
    logFile?: string,
    /** Node options before the entry (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
    nodeArgs: string[] = [],
    /** What runs `distributary` (default: the sources under tsx); e.g. [<dist>/apps/cli/src/main.js]. */
    entryArgs: string[] = ['--import', 'tsx', entry],
  ) {
    this.child = spawn(
      process.execPath,
      [...nodeArgs, ...entryArgs, 'run', '--only', role, '--config', configFile, '--metrics-port', '0'],
      {
        cwd: repoRoot,
        env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const keep = (chunk: Buffer): void => {
      this.output += chunk.toString();
      if (logFile) appendFileSync(logFile, chunk);
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    const release = onAbruptExit(() => this.child.kill('SIGKILL'));
    this.exited = new Promise((done) =>
      this.child.once('exit', (code) => {
        release();
        done(code);
      }),
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Peak resident set size (VmHWM, bytes) of the process so far, or undefined once it is gone. */
  peakRss(): number | undefined {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = /VmHWM:\s+(\d+) kB/.exec(status);
      return match ? Number(match[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  async kill9(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Graceful stop (SIGTERM), then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Throws with the process output when it died on its own. */
  assertAlive(): void {
    if (!this.alive) throw new Error(`${this.label} exited (${this.child.exitCode}): ${this.output.slice(-4000)}`);
  }
}
