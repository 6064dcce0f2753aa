import { startAdmin } from '@distributary/admin';
import { createLogger } from '@distributary/observability';
import type { StartRole } from './role';

const SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR2', 'SIGABRT'];

/**
 * startAdmin enables NestJS shutdown hooks, which on SIGTERM close the admin app and then re-raise the
 * signal — killing the process before the other roles finished their graceful stop. In `run`, the CLI
 * owns the signals, so the listeners startAdmin added are removed again.
 */
async function withoutNewSignalListeners<T>(start: () => Promise<T>): Promise<T> {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const result = await start();
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener as (...args: unknown[]) => void);
    }
  }
  return result;
}

export const startAdminRole: StartRole = async (config) => {
  const admin = await withoutNewSignalListeners(() => startAdmin(config));
  createLogger('cli').info({ url: admin.url }, 'admin API listening');
  // The HTTP server failing after start (or closing while not asked to) ends the role: run stops.
  let stopping = false;
  const done = new Promise<void>((resolve, reject) => {
    const server = admin.app.getHttpServer();
    server.once('error', (error: Error) => reject(error));
    server.once('close', () => (stopping ? resolve() : reject(new Error('the admin HTTP server closed'))));
  });
  done.catch(() => undefined);
  return {
    stop: () => {
      stopping = true;
      return admin.close();
    },
    done,
  };
};
