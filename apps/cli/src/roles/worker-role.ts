import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@distributary/observability';
import { SinkWorkerModule } from '@distributary/sink-worker';
import { createSink, sinkWorkerOptionsFromConfig } from '@distributary/worker';
import type { StartRole } from './role';

export const startWorkerRole: StartRole = async (config) => {
  const logger = createLogger('sink-worker');
  const app = await NestFactory.createApplicationContext(
    SinkWorkerModule.forSinks(() => sinkWorkerOptionsFromConfig(config, createSink, { logger })),
    { logger: false },
  );
  return { stop: () => app.close() };
};
