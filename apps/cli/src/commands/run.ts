import { Command, Option } from 'commander';
import type { DistributaryConfig, SinkDiff } from '@distributary/config';
import { createLogger, startMetricsServer } from '@distributary/observability';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';
import { applySinkPlan } from '../apply-plan';
import { bootstrapNewSinks } from '../bootstrap';
import { preflight } from '../preflight';
import { refuseSharedTargets } from './shared-targets';
import { describePlan, planSinkChanges, recordSettledSinks } from '../config-plan';
import { withLogRedisPatiently } from '../log-connection';
import { roleDescriptions } from '../roles/descriptions';
import { roles } from '../roles/registry';
import { ROLE_NAMES, type RoleDefinition, type RoleName } from '../roles/role';
import { startInProcess, type NamedRole } from '../supervisor/in-process-role';
import { RoleFailedError } from '../supervisor/role-failed';
import { RoleGroup } from '../supervisor/role-group';

interface RunOptions extends ConfigOptions {
  only?: RoleName;
  metricsPort: string;
}

export function runCommand(): Command {
  return new Command('run')
    .description(
      'run the pipeline: connector, sink worker and admin API, each role in its own process (or one role in this process with --only)',
    )
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
needs (bootstrap, rebuild, nothing, drop). Each role runs in its own process (its own event loop),
supervised by this one; with --only, the role runs in this process. SIGINT / SIGTERM stop the roles
gracefully (exit 0); a role failing stops the others (exit 1). Role processes stop on their own when
this process dies.`,
    )
    .action(async (options: RunOptions) => {
      const { file, config } = loadConfigFrom(options);
      // The gateway runs by default only when the configuration declares subscriptions.
      const selected = options.only
        ? [options.only]
        : ROLE_NAMES.filter((name) => name !== 'gateway' || config.subscriptions?.length);
      // Everything offline, then reachability and privileges: refused (exit 2) before anything is created.
      refuseSharedTargets(file, config);
      // A process per role (without --only), loading its role's modules while the preflight runs.
      const group = options.only ? undefined : RoleGroup.fork(selected);
      await preflight(file, config, selected).catch(async (error: unknown) => {
        await group?.stop().catch(() => undefined);
        throw error;
      });

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
        const metricsPort = selected.includes('admin') ? 0 : Number(options.metricsPort);
        if (options.only)
          await runInProcess(roles[options.only], config, metricsPort, stopRequested.promise, () =>
            settle(config, selected, plan),
          );
        else await runAsGroup(group!, config, stopRequested.promise, () => settle(config, selected, plan));
      } finally {
        await group?.stop().catch(() => undefined); // stopped already unless this run ends early
        stopRequested.dispose();
      }
    });
}

/** After the roles started: the sinks' new fingerprints are recorded (their plan is applied). */
async function settle(config: DistributaryConfig, selected: RoleName[], plan: SinkDiff): Promise<void> {
  if (selected.includes('worker')) {
    await withLogRedisPatiently(config, (redis, keys) => recordSettledSinks(redis, keys, config, plan));
  }
}

/** `run --only <role>`: that role in this process, as before (what Helm/Kubernetes runs). */
async function runInProcess(
  role: RoleDefinition,
  config: DistributaryConfig,
  metricsPort: number,
  stop: Promise<void>,
  settled: () => Promise<void>,
): Promise<void> {
  const running: NamedRole[] = [await startInProcess(role, config)];
  const metrics = await startMetrics(metricsPort).catch(async (error: unknown) => {
    await stopRoles(running);
    throw new RoleFailedError('metrics server', 'failed to start', error, running);
  });
  if (metrics) running.unshift(metrics);
  await settled();
  process.stdout.write('running; Ctrl-C or SIGTERM stops\n');
  const outcome = await untilStopOrRoleEnds(stop, running);
  if (outcome.failed) logRoleEnded(outcome.failed.name, outcome.error);
  await stopRoles(running);
  if (outcome.failed) throw new RoleFailedError(outcome.failed.name, 'stopped', outcome.error, running);
}

/** `run`: every role in its own process (supervisor/), this process supervises them. */
async function runAsGroup(
  group: RoleGroup,
  config: DistributaryConfig,
  stop: Promise<void>,
  settled: () => Promise<void>,
): Promise<void> {
  // The admin role is always one of them, and serves /metrics and /health/ready of every role's process.
  await group.start(config);
  await settled();
  process.stdout.write(
    `roles: ${group.roles.map((role) => `${role.name} (pid ${role.pid})`).join(', ')}\nrunning; Ctrl-C or SIGTERM stops\n`,
  );
  const outcome = await group.untilStopOrRoleEnds(stop);
  if (outcome.failed) logRoleEnded(outcome.failed.name, outcome.error);
  let stopError: unknown;
  await group.stop().catch((error: unknown) => (stopError = error));
  if (outcome.failed) throw new RoleFailedError(outcome.failed.name, 'stopped', outcome.error, group.roles);
  if (stopError) throw stopError;
}

function logRoleEnded(name: string, error: unknown): void {
  createLogger('cli').error({ role: name, err: error }, `the ${name} role ended; stopping the others`);
}

/** /metrics and /health when the admin role (which serves them) is not run here. */
async function startMetrics(port: number): Promise<NamedRole | undefined> {
  if (!Number.isInteger(port) || port <= 0) return undefined;
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
