import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Command } from 'commander';
import { loadConfig, resolveConfigPath } from '@distributary/config';
import { createLogger, startMetricsServer } from '@distributary/observability';
import { createSink, sinkWorkerOptionsFromConfig } from '@distributary/worker';
import { SinkWorkerModule } from './sink-worker.module';
import { treatProtoAsOrdinaryKey } from '@distributary/core';

treatProtoAsOrdinaryKey(); // column names are data: see libs/core/src/proto-key.ts

/** Standalone sink worker: `tsx apps/sink-worker/src/main.ts --config distributary.yaml`. */
async function main(): Promise<void> {
  const program = new Command('sink-worker')
    .option('--config <file>', 'configuration file (default env DISTRIBUTARY_CONFIG)')
    .option('--metrics-port <port>', 'Prometheus /metrics port', process.env.DISTRIBUTARY_METRICS_PORT ?? '9464')
    .option('--worker-id <id>', 'worker id (default host:pid:random hex)')
    .parse();
  const options = program.opts<{ config?: string; metricsPort: string; workerId?: string }>();
  const logger = createLogger('sink-worker');
  const config = loadConfig(resolveConfigPath(options.config));
  const app = await NestFactory.createApplicationContext(
    SinkWorkerModule.forSinks(() =>
      sinkWorkerOptionsFromConfig(config, createSink, {
        logger,
        ...(options.workerId ? { workerId: options.workerId } : {}),
      }),
    ),
    { logger: false },
  );
  app.enableShutdownHooks();
  const metrics = Number(options.metricsPort) > 0 ? await startMetricsServer(Number(options.metricsPort)) : undefined;
  process.once('SIGTERM', () => metrics?.close());
  process.once('SIGINT', () => metrics?.close());
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
