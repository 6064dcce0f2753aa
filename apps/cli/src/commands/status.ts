import { Command } from 'commander';
import { toJson } from '../json-output';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';

export function statusCommand(): Command {
  return new Command('status')
    .description('show the slot, retained WAL, log partitions, per-sink lag and dead letters, workers and jobs')
    .addOption(configOption())
    .option('--json', 'print the status as JSON')
    .addHelpText('after', '\nReads the log Redis and pg_replication_slots; changes nothing. Secrets are redacted.')
    .action(async (options: ConfigOptions & { json?: boolean }) => {
      const { config } = loadConfigFrom(options);
      // Loaded on use, so that other commands start fast.
      const { collectStatus } = await import('../status/collect-status');
      const { renderStatus } = await import('../status/render-status');
      const status = await collectStatus(config);
      process.stdout.write(options.json ? `${toJson(status)}\n` : renderStatus(status));
    });
}
