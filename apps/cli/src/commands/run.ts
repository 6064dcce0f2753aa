import { Command, Option } from 'commander';
import type { DistributaryConfig } from '@distributary/config';
import { createLogger } from '@distributary/observability';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';
import { applySinkPlan } from '../apply-plan';
import { bootstrapNewSinks } from '../bootstrap';
import { preflight } from '../preflight';
import { refuseSharedTargets } from './shared-targets';
import { describePlan, planSinkChanges, recordSettledSinks } from '../config-plan';
import { NotAvailableError } from '../exit-codes';
import { withLogRedisPatiently } from '../log-connection';
import { loadRoles, roleDescriptions } from '../roles/descriptions';
import { ROLE_NAMES, type RoleDefinition, type RoleName, type RunningRole } from '../roles/role';

interface RunOptions extends ConfigOptions {
  only?: RoleName;
  metricsPort: string;
}

export function runCommand(): Command {
  return new Command('run')
    .description('run the pipeline: connector, sink worker and admin API in one process (or one role with --only)')
    .addOption(configOption())
    .addOption(new Option('--only <role>', 'run a single role').choices([...ROLE_NAMES]))
    .addOption(
      new Option('--metrics-port <port>', 'Prometheus /metrics port when the admin role is not run here (0: none)')
        .env('DISTRIBUTARY_METRICS_PORT')
        .default('9464'),
    )
    .addHelpText(
      'after',
      `
Roles:
${ROLE_NAMES.map((name) => `  ${name.padEnd(10)} ${roleDescriptions[name]}`).join('\n')}

On start, run compares every sink with the fingerprint stored by the previous run and prints what it
needs (bootstrap, rebuild, nothing, drop). SIGINT / SIGTERM stop the roles gracefully (exit 0); a
role failing stops the others (exit 1).`,
    )
    .action(async (options: RunOptions) => {
      const { file, config } = loadConfigFrom(options);
      const roles = await loadRoles();
      // The gateway runs by default only when the configuration declares subscriptions.
      const selected = options.only
        ? [options.only]
        : ROLE_NAMES.filter((name) => name !== 'gateway' || config.subscriptions?.length);
      const missing = selected.filter((name) => !roles[name].start);
      if (missing.length) throw new NotAvailableError(missing.map((name) => `the ${name} role`).join(', '));
      // Everything offline, then reachability and privileges: refused (exit 2) before anything is created.
      refuseSharedTargets(file, config);
      await preflight(file, config, selected);

      const stopRequested = listenForStopSignal(); // from now on SIGINT/SIGTERM mean a graceful stop
      try {
        const plan = await withLogRedisPatiently(config, (redis, keys) => planSinkChanges(redis, keys, config));
        process.stdout.write(
          `distributary run ${file} (${selected.join(', ')})\nsinks:\n${describePlan(plan).join('\n')}\n`,
        );
        if (selected.includes('worker')) {
          const actions = await withLogRedisPatiently(config, async (redis, keys) => [
            ...(await bootstrapNewSinks(redis, keys, config, plan)),
            ...(await applySinkPlan(redis, keys, config, plan)),
          ]);
          if (actions.length) process.stdout.write(`actions:\n${actions.join('\n')}\n`);
        }
        const running = await startRoles(roles, selected, config);
        const metrics = selected.includes('admin')
          ? undefined
          : await startMetrics(Number(options.metricsPort)).catch(async (error: unknown) => {
              await stopRoles(running);
              throw new RoleFailedError('metrics server', 'failed to start', error, running);
            });
        if (metrics) running.unshift(metrics);
        if (selected.includes('worker')) {
          await withLogRedisPatiently(config, (redis, keys) => recordSettledSinks(redis, keys, config, plan));
        }
        process.stdout.write('running; Ctrl-C or SIGTERM stops\n');
        const outcome = await untilStopOrRoleEnds(stopRequested.promise, running);
        if (outcome.failed) {
          createLogger('cli').error(
            { role: outcome.failed.name, err: outcome.error },
            `the ${outcome.failed.name} role ended; stopping the others`,
          );
        }
        await stopRoles(running);
        if (outcome.failed) throw new RoleFailedError(outcome.failed.name, 'stopped', outcome.error, running);
      } finally {
        stopRequested.dispose();
      }
    });
}

/** A running role with its name, so a failure can say which role it was. */
type NamedRole = RunningRole & { name: string };

/**
 * `run` is all or nothing: a role that fails to start, or ends while the others run, stops the
 * process (after the others drained) with this error, naming the role, why, and what was stopped.
 */
class RoleFailedError extends Error {
  constructor(role: string, what: string, cause: unknown, stopped: NamedRole[]) {
    const reason = cause === undefined ? 'it ended on its own' : cause instanceof Error ? cause.message : String(cause);
    const others = stopped.filter((r) => r.name !== role).map((r) => r.name);
    super(`the ${role} role ${what}: ${reason}${others.length ? ` (stopped: ${others.join(', ')})` : ''}`, { cause });
  }
}

async function startRoles(
  roles: Record<RoleName, RoleDefinition>,
  names: RoleName[],
  config: DistributaryConfig,
): Promise<NamedRole[]> {
  const running: NamedRole[] = [];
  for (const name of names) {
    const start = roles[name].start;
    if (!start) continue;
    try {
      running.push({ ...(await start(config)), name });
    } catch (error) {
      await stopRoles(running);
      throw new RoleFailedError(name, 'failed to start', error, running);
    }
  }
  return running;
}

async function startMetrics(port: number): Promise<NamedRole | undefined> {
  if (!Number.isInteger(port) || port <= 0) return undefined;
  const { startMetricsServer } = await import('@distributary/sink-worker');
  const server = await startMetricsServer(port);
  return { name: 'metrics server', stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function stopRoles(running: NamedRole[]): Promise<void> {
  const logger = createLogger('cli');
  for (const role of [...running].reverse()) {
    try {
      await role.stop();
    } catch (error) {
      logger.error({ err: error, role: role.name }, `the ${role.name} role failed to stop cleanly`);
    }
  }
}

function listenForStopSignal(): { promise: Promise<void>; dispose(): void } {
  let onSignal: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    onSignal = () => resolve();
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    promise,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Until a stop signal (no failure) or until a role ends: a role ending on its own is a failure too. */
function untilStopOrRoleEnds(
  stop: Promise<void>,
  running: NamedRole[],
): Promise<{ failed?: NamedRole; error?: unknown }> {
  return Promise.race([
    stop.then(() => ({})),
    ...running.flatMap((role) =>
      role.done
        ? [
            role.done.then(
              () => ({ failed: role }),
              (error: unknown) => ({ failed: role, error }),
            ),
          ]
        : [],
    ),
  ]);
}
