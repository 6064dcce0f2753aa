import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig, resolveConfigPath } from '@distributary/config';
import { createLogger } from '@distributary/observability';
import { ConnectorModule } from './connector.module';
import { ConnectorService } from './connector.service';
import { treatProtoAsOrdinaryKey } from '@distributary/core';

treatProtoAsOrdinaryKey(); // column names are data: see libs/core/src/proto-key.ts

/**
 * Runs the connector standalone: `connector --config <file>` (default env DISTRIBUTARY_CONFIG).
 * SIGTERM/SIGINT: finish the batch in flight, confirm, exit 0. A fatal error exits 1.
 */
const logger = createLogger('connector-main');

function configArgument(argv: string[]): string | undefined {
  const index = argv.indexOf('--config');
  if (index >= 0) return argv[index + 1];
  return argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
}

async function main(): Promise<void> {
  const config = loadConfig(resolveConfigPath(configArgument(process.argv.slice(2))));
  const app = await NestFactory.createApplicationContext(ConnectorModule.forConfig(config), { logger: false });
  const service = app.get(ConnectorService);
  let shuttingDown = false;
  const shutdown = (signal: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'stopping: finishing the batch in flight');
    app
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ error: error instanceof Error ? error.message : String(error) }, 'unclean stop');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await service.done();
}

main().catch((error: unknown) => {
  logger.error(
    { error: error instanceof Error ? error.message : String(error) },
    error instanceof Error ? error.message : String(error),
  );
  process.exit(1);
});
