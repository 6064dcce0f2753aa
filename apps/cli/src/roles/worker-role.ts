import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@distributary/observability';
import { createSink, SinkWorkerModule, sinkWorkerOptionsFromConfig } from '@distributary/sink-worker';
import { roleDescriptions } from './descriptions';
import type { RoleDefinition } from './role';

export const workerRole: RoleDefinition = {
  name: 'worker',
  description: roleDescriptions.worker,
  start: async (config) => {
    const logger = createLogger('sink-worker');
    const app = await NestFactory.createApplicationContext(
      SinkWorkerModule.forSinks(() => sinkWorkerOptionsFromConfig(config, createSink, { logger })),
      { logger: false },
    );
    return { stop: () => app.close() };
  },
};
