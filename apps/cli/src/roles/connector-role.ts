import { Connector } from '@distributary/connector';
import { createLogger } from '@distributary/observability';
import type { StartRole } from './role';

/**
 * The plain Connector, without NestJS: the role is start → run, stop → stop, which is all the Nest
 * module (apps/connector) did around it. Loading NestJS cost the connector's process ~570 modules and
 * ~30 MiB of RSS before its first event.
 */
export const startConnectorRole: StartRole = (config) => {
  const connector = new Connector({ config, logger: createLogger('connector') });
  const done = connector.run();
  done.catch(() => undefined); // reported through `done`; no unhandled rejection meanwhile
  return Promise.resolve({ stop: () => connector.stop(), done });
};
