import { createLogger } from '@distributary/observability';
import { createSink, sinkWorkerOptionsFromConfig, startSinkWorker } from '@distributary/worker';
import type { StartRole } from './role';

/**
 * The sink worker without NestJS (as the connector role): start → runner and maintenance jobs, stop →
 * their graceful stop, which is all apps/sink-worker's Nest module does around them. Loading NestJS
 * cost the worker's process ~575 modules before its first event.
 */
export const startWorkerRole: StartRole = async (config) => {
  const logger = createLogger('sink-worker');
  return startSinkWorker(sinkWorkerOptionsFromConfig(config, createSink, { logger }));
};
