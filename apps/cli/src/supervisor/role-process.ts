/**
 * One role's process, seen from `distributary run`: forked on role-host (it loads the role's modules
 * while `run` runs its preflight), started with the parsed configuration over IPC, stopped with a message (a kill after STOP_GRACE_MS), asked for its
 * telemetry. `started` settles once the role is up (or failed to start); `ended` once it ends while
 * not asked to stop — `signal` when it stopped on a signal sent to it (a stop request for the whole run).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { DistributaryConfig } from '@distributary/config';
import { registeredSecrets, type ProcessTelemetry } from '@distributary/observability';
import type { RoleName } from '../roles/role';
import { roleHostEntry, roleHostForkOptions } from './fork-options';
import type { FromRole, ToRole } from './messages';
import { STOP_GRACE_MS } from './stop-grace';

const TELEMETRY_TIMEOUT_MS = 2000;

export interface RoleEnd {
  signal?: NodeJS.Signals;
  error?: unknown;
}

export class RoleProcess {
  readonly started: Promise<void>;
  readonly ended: Promise<RoleEnd>;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private stopAsked = false;
  private nextId = 0;
  private readonly pending = new Map<number, (telemetry: ProcessTelemetry) => void>();

  /** Forks the role's process, which loads the role's modules until start() is called. */
  constructor(
    readonly name: RoleName,
    onAskPeers: (role: RoleProcess, id: number) => void,
  ) {
    this.child = fork(roleHostEntry, [], roleHostForkOptions(name));
    let exitReason = 'its process could not be started';
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        exitReason = signal ? `its process was killed by ${signal}` : `its process exited with code ${code}`;
        resolve();
      });
      this.child.once('error', (error) => {
        exitReason = error.message;
        resolve();
      });
    });
    this.started = new Promise((resolve, reject) => {
      this.child.on('message', (message: FromRole) => {
        if (message.type === 'started') resolve();
        else if (message.type === 'start-failed') reject(new Error(message.message));
      });
      void this.exited.then(() => reject(new Error(exitReason)));
    });
    this.started.catch(() => undefined);
    this.ended = new Promise((resolve) => {
      this.child.on('message', (message: FromRole) => {
        if (message.type === 'ended')
          resolve(
            message.signal ? { signal: message.signal } : { error: message.message && new Error(message.message) },
          );
      });
      void this.exited.then(() => resolve({ error: new Error(exitReason) }));
    });
    this.child.on('message', (message: FromRole) => {
      if (message.type === 'collected') {
        this.pending.get(message.id)?.(message.telemetry);
        this.pending.delete(message.id);
      } else if (message.type === 'ask-peers') onAskPeers(this, message.id);
    });
    this.send({ type: 'preload', role: name });
  }

  /** Starts the role with this configuration; `started` settles once it is up or failed. */
  start(config: DistributaryConfig): Promise<void> {
    this.send({ type: 'start', role: this.name, config, secrets: registeredSecrets() });
    return this.started;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(message: ToRole): void {
    if (this.child.connected) this.child.send(message);
  }

  /** Graceful stop; killed when it takes longer than STOP_GRACE_MS. Rejects when it had to be killed. */
  async stop(): Promise<void> {
    this.stopAsked = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send({ type: 'stop' });
    let timer: NodeJS.Timeout | undefined;
    const killed = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), STOP_GRACE_MS + 2000);
      }),
    ]);
    clearTimeout(timer);
    if (killed) {
      this.child.kill('SIGKILL');
      await this.exited;
      throw new Error(`its process did not stop within ${STOP_GRACE_MS} ms and was killed`);
    }
  }

  /** Whether stop() was called: an exit after it is not a failure. */
  get stopping(): boolean {
    return this.stopAsked;
  }

  /** Its metrics, readiness checks and pid; rejects when it does not answer in time. */
  telemetry(): Promise<ProcessTelemetry> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the ${this.name} process did not answer within ${TELEMETRY_TIMEOUT_MS} ms`));
      }, TELEMETRY_TIMEOUT_MS);
      this.pending.set(id, (telemetry) => {
        clearTimeout(timer);
        resolve(telemetry);
      });
      this.send({ type: 'collect', id });
    });
  }
}
