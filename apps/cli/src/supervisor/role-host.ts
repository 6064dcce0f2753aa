/**
 * The process of one role under `distributary run` (forked by role-group.ts, one per role, each on its
 * own event loop). The supervisor sends `start` with the role and the parsed configuration; this
 * process answers `started` or `start-failed`, `ended` when the role ends on its own, and its
 * telemetry when asked.
 *
 * Invariant: a role process never outlives its supervisor. When the IPC channel closes — the
 * supervisor exited, even by kill -9 — the role stops gracefully and the process exits; if the stop
 * hangs, it exits anyway after STOP_GRACE_MS. A signal sent to this process (SIGTERM, or SIGINT
 * from a terminal's Ctrl-C, which reaches the whole process group) stops it gracefully, and the
 * supervisor stops the others the same way.
 */
import type { DistributaryConfig } from '@distributary/config';
import {
  createLogger,
  ownTelemetry,
  registerSecrets,
  setProcessGroup,
  type ProcessTelemetry,
} from '@distributary/observability';
import { preloadRole, roles } from '../roles/registry';
import type { RoleName, RunningRole } from '../roles/role';
import { exitWhenFlushed } from '../terminal/exit';
import type { FromRole, ToRole } from './messages';
import { publishProcessStatus } from './process-status';
import { STOP_GRACE_MS } from './stop-grace';

let roleName: RoleName | undefined;
let running: (RunningRole & { unpublish(): Promise<void> }) | undefined;
let stopping = false; // a stop was asked for (maybe while still starting)
let stopCode = 0;
let draining = false; // the role's stop() runs
let nextAsk = 0;
const asked = new Map<number, (peers: ProcessTelemetry[]) => void>();

function send(message: FromRole): void {
  if (process.connected) process.send?.(message);
}

async function start(role: RoleName, config: DistributaryConfig): Promise<void> {
  roleName = role;
  process.title = `distributary ${role}`;
  if (role === 'admin') setProcessGroup(role, askPeers); // its /metrics and /health/ready cover every role
  try {
    const started = await roles[role].start(config);
    const published = await publishProcessStatus(config, role, process.ppid);
    running = { ...started, unpublish: published.stop };
  } catch (error) {
    send({ type: 'start-failed', message: error instanceof Error ? error.message : String(error) });
    return exitWhenFlushed(1).then(() => undefined);
  }
  if (stopping) return stop(stopCode); // asked to stop while starting
  send({ type: 'started' });
  running.done?.then(
    () => ended(),
    (error: unknown) => ended(error),
  );
}

function ended(error?: unknown): void {
  if (stopping) return;
  const message = error === undefined ? {} : { message: error instanceof Error ? error.message : String(error) };
  send({ type: 'ended', ...message });
  void stop(1);
}

/** Graceful stop of the role (once), then exit; bounded by STOP_GRACE_MS. */
async function stop(code: number): Promise<void> {
  if (!stopping) {
    stopping = true;
    stopCode = code;
    setTimeout(() => {
      createLogger('cli').error({ role: roleName }, `the ${roleName} process did not stop within ${STOP_GRACE_MS} ms`);
      void exitWhenFlushed(1);
    }, STOP_GRACE_MS).unref();
  }
  if (!running) {
    if (!roleName) await exitWhenFlushed(code); // asked to stop before the start message
    return; // still starting: start() calls stop again once the role is up
  }
  if (draining) return;
  draining = true;
  let exitCode = code;
  try {
    await running.unpublish();
    await running.stop();
  } catch (error) {
    createLogger('cli').error({ err: error, role: roleName }, `the ${roleName} role failed to stop cleanly`);
    exitCode = 1;
  }
  await exitWhenFlushed(exitCode);
}

function askPeers(): Promise<ProcessTelemetry[]> {
  const id = nextAsk++;
  return new Promise((resolve) => {
    asked.set(id, resolve);
    send({ type: 'ask-peers', id });
  });
}

async function onMessage(message: ToRole): Promise<void> {
  switch (message.type) {
    case 'preload':
      return preloadRole(message.role).catch(() => undefined); // start reports
    case 'start':
      registerSecrets(message.secrets);
      return start(message.role, message.config);
    case 'stop':
      return stop(0);
    case 'collect':
      return send({ type: 'collected', id: message.id, telemetry: await ownTelemetry(roleName ?? 'starting') });
    case 'peers':
      asked.get(message.id)?.(message.peers);
      asked.delete(message.id);
      return;
  }
}

process.on('message', (message: ToRole) => void onMessage(message));
// The supervisor is gone (exited, or killed with -9): never run on as an orphan.
process.on('disconnect', () => void stop(0));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!stopping) send({ type: 'ended', signal });
    void stop(0);
  });
}
