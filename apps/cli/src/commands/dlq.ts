import { Command } from 'commander';
import { table } from '../terminal/table';
import { redactSecrets } from '@distributary/observability';
import { toJson } from '../json-output';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';
import { ExitError, EXIT_FAILURE } from '../exit-codes';
import { withLogRedis } from '../log-connection';
import { findSink } from './sink-arg';

export function dlqCommand(): Command {
  return new Command('dlq')
    .description('list, replay or drop the dead letters of a sink (events it could not write)')
    .addCommand(listCommand())
    .addCommand(replayCommand())
    .addCommand(dropCommand());
}

function listCommand(): Command {
  return new Command('list')
    .description('list dead letters, oldest first')
    .argument('<sink>', 'sink name')
    .addOption(configOption())
    .option('--limit <n>', 'entries per page', '50')
    .option('--after <id>', 'continue after this dead-letter ID (printed as "next")')
    .option('--json', 'print the page as JSON')
    .action(async (sinkName: string, options: ConfigOptions & { limit: string; after?: string; json?: boolean }) => {
      const { config } = loadConfigFrom(options);
      findSink(config, sinkName);
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new ExitError(EXIT_FAILURE, `--limit ${options.limit}: expected a positive number`);
      const page = await withLogRedis(config, (_redis, _keys, log) =>
        log.deadLetters.list(sinkName, { after: options.after, limit }),
      );
      if (options.json) {
        process.stdout.write(`${toJson(redactSecrets(page))}\n`);
        return;
      }
      if (page.items.length === 0) {
        process.stdout.write(`no dead letters for ${sinkName}\n`);
        return;
      }
      const rows = table(['id', 'time', 'partition', 'event', 'error'], {
        colWidths: [null, null, null, 40, 60],
        wordWrap: true,
      });
      for (const item of page.items) {
        const e = item.event;
        rows.push([item.id, item.time, item.partition, `${e.op} ${e.table} ${JSON.stringify(e.key)}`, item.error]);
      }
      process.stdout.write(`${rows.toString()}\n${page.next ? `next: --after ${page.next}\n` : ''}`);
    });
}

function replayCommand(): Command {
  return new Command('replay')
    .description(
      're-sync the dead-lettered keys from the source (current rows, never the stale events) through the log; ' +
        'needs a running connector',
    )
    .argument('<sink>', 'sink name')
    .argument('[ids...]', 'dead-letter IDs (default: all)')
    .addOption(configOption())
    .option('--pickup-timeout <ms>', 'how long to wait for a connector to pick the re-sync snapshot up', '15000')
    .action(async (sinkName: string, ids: string[], options: ConfigOptions & { pickupTimeout: string }) => {
      const { config } = loadConfigFrom(options);
      findSink(config, sinkName);
      const { resyncDeadLetters } = await import('@distributary/control');
      const result = await withLogRedis(config, (_redis, _keys, log) =>
        resyncDeadLetters(log, sinkName, {
          ...(ids.length ? { ids } : {}),
          pickupMs: Number(options.pickupTimeout),
        }),
      );
      process.stdout.write(
        `re-synced ${result.replayed} dead letter(s) from the source (snapshots ${result.snapshots.join(', ') || '-'}); ` +
          'a key still failing is dead-lettered again with its current row\n',
      );
    });
}

function dropCommand(): Command {
  return new Command('drop')
    .description('delete dead letters for good (by ID, or --all)')
    .argument('<sink>', 'sink name')
    .argument('[ids...]', 'dead-letter IDs')
    .addOption(configOption())
    .option('--all', 'drop every dead letter of the sink')
    .action(async (sinkName: string, ids: string[], options: ConfigOptions & { all?: boolean }) => {
      const { config } = loadConfigFrom(options);
      findSink(config, sinkName);
      if (!options.all && ids.length === 0) throw new ExitError(EXIT_FAILURE, 'give dead-letter IDs, or --all');
      const dropped = await withLogRedis(config, (_redis, _keys, log) =>
        log.deadLetters.drop(sinkName, options.all ? 'all' : ids),
      );
      process.stdout.write(`dropped ${dropped} dead letter(s) of ${sinkName}\n`);
    });
}
