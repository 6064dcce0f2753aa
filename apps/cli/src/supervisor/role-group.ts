/**
 * The roles of `distributary run`, each in its own process (role-process.ts, role-host.ts), so that
 * capture, sinks, the admin API and the gateway never share an event loop: a busy sink cannot stall
 * capture, nor the reverse. All or nothing: if one fails to start, the started ones are stopped and
 * RoleFailedError names it; the group's run ends when a stop is asked or any role ends.
 */
import type { DistributaryConfig } from '@distributary/config';
import { createLogger, registry, type ProcessTelemetry } from '@distributary/observability';
import type { RoleName } from '../roles/role';
import { RoleFailedError } from './role-failed';
import { RoleProcess, type RoleEnd } from './role-process';

export class RoleGroup {
  private constructor(readonly roles: RoleProcess[]) {}

  /** Forks a process per role; each loads its role's modules and waits for start(). */
  static fork(names: RoleName[]): RoleGroup {
    const roles: RoleProcess[] = [];
    const group = new RoleGroup(roles);
    for (const name of names) roles.push(new RoleProcess(name, (from, id) => group.answerPeers(from, id)));
    return group;
  }

  /** Starts every role at once; resolves once all are up, or stops them and throws RoleFailedError. */
  async start(config: DistributaryConfig): Promise<void> {
    const results = await Promise.allSettled(this.roles.map((role) => role.start(config)));
    const failed = results.findIndex((result) => result.status === 'rejected');
    if (failed < 0) return;
    const started = this.roles.filter((_, i) => results[i].status === 'fulfilled');
    await this.stop();
    const cause = (results[failed] as PromiseRejectedResult).reason as unknown;
    throw new RoleFailedError(this.roles[failed].name, 'failed to start', cause, started);
  }

  /** Until `stop` resolves or a role ends: a role ending on its own is a failure; on a signal, a stop. */
  async untilStopOrRoleEnds(stop: Promise<void>): Promise<{ failed?: RoleProcess; error?: unknown }> {
    const ends = this.roles.map((role) =>
      role.ended.then((end: RoleEnd) => (end.signal ? {} : { failed: role, error: end.error })),
    );
    return Promise.race([stop.then(() => ({})), ...ends]);
  }

  /** Stops every role at once (each drains gracefully); resolves when all processes exited. */
  async stop(): Promise<void> {
    const logger = createLogger('cli');
    const results = await Promise.allSettled(this.roles.map((role) => role.stop()));
    results.forEach((result, i) => {
      if (result.status === 'rejected')
        logger.error(
          { err: result.reason, role: this.roles[i].name },
          `the ${this.roles[i].name} role failed to stop cleanly`,
        );
    });
    if (results.some((result) => result.status === 'rejected')) throw new Error('a role process had to be killed');
  }

  /** The telemetry of every role's process (but `except`), and of this one as `run`. */
  async telemetry(except?: RoleProcess): Promise<ProcessTelemetry[]> {
    const roles = this.roles.filter((role) => role !== except);
    const answers = await Promise.allSettled(roles.map((role) => role.telemetry()));
    const own: ProcessTelemetry = {
      role: 'run',
      pid: process.pid,
      metrics: await registry.getMetricsAsJSON(),
      health: {},
    };
    return [
      own,
      ...answers.map((answer, i): ProcessTelemetry => {
        if (answer.status === 'fulfilled') return answer.value;
        const error = answer.reason instanceof Error ? answer.reason.message : String(answer.reason);
        return {
          role: roles[i].name,
          pid: roles[i].pid ?? 0,
          metrics: [],
          health: { [`role:${roles[i].name}`]: { ok: false, error } },
        };
      }),
    ];
  }

  private answerPeers(from: RoleProcess, id: number): void {
    void this.telemetry(from).then((peers) => from.send({ type: 'peers', id, peers }));
  }
}
