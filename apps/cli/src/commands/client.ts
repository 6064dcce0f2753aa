import { Command } from 'commander';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';
import { EXIT_FAILURE, ExitError } from '../exit-codes';

/**
 * `distributary client types > subscriptions.ts`: TypeScript types of every subscription's rows
 * and parameters, from the configuration and the source's catalog (read-only), for
 * `createClient<Subscriptions>()` and `liveQueryHook<Subscriptions>()` of @distributary/client.
 */
export function clientCommand(): Command {
  const types = new Command('types')
    .description(
      "print TypeScript types of the subscriptions' rows and parameters (from the config and the source catalog)",
    )
    .addOption(configOption())
    .action(async (options: ConfigOptions) => {
      const { config } = loadConfigFrom(options);
      const subscriptions = config.subscriptions ?? [];
      if (subscriptions.length === 0) throw new ExitError(EXIT_FAILURE, 'the configuration declares no subscriptions');
      const { generateClientTypes } = await import('@distributary/gateway');
      const { default: pg } = await import('pg');
      const pool = new pg.Pool({
        connectionString: config.source.postgres.url,
        max: 1,
        application_name: 'distributary-client-types',
      });
      try {
        process.stdout.write(await generateClientTypes(pool, subscriptions));
      } catch (error) {
        throw new ExitError(EXIT_FAILURE, (error as Error).message);
      } finally {
        await pool.end();
      }
    });
  return new Command('client').description('helpers for applications using @distributary/client').addCommand(types);
}
