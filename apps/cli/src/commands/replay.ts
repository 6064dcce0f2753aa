import { Command } from 'commander';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';
import { ExitError, EXIT_FAILURE } from '../exit-codes';
import { withLogRedis } from '../log-connection';
import { isMaterializedViewSink } from '@distributary/config';
import { findSink, parsePartitions } from './sink-arg';
import { rebuildViewFromStart, refuseViewReplay } from './replay-view';

export function replayCommand(): Command {
  return new Command('replay')
    .description('re-apply a sink from a log position: resets its committed positions; workers re-read from there')
    .argument('<sink>', 'sink name')
    .addOption(configOption())
    .option('--from <id>', 'log entry ID "<commitLsn>-<seq>" to replay after, or "start"', 'start')
    .option('-p, --partition <n...>', 'only these partitions')
    .addHelpText(
      'after',
      '\nThe current owner of each partition is fenced out and re-acquires it from the new position. Sinks are\n' +
        'idempotent (versioned by commit LSN), so replaying what was applied already changes nothing.\n' +
        'A materialized view keeps cumulative state: only --from start is accepted, and it rebuilds the view\n' +
        'from the compacted log (the sink is paused on every worker meanwhile).',
    )
    .action(async (sinkName: string, options: ConfigOptions & { from: string; partition?: string[] }) => {
      const { config } = loadConfigFrom(options);
      const sinkConfig = findSink(config, sinkName);
      const from = options.from === 'start' ? undefined : options.from;
      if (from !== undefined && !/^\d+-\d+$/.test(from)) {
        throw new ExitError(EXIT_FAILURE, `--from ${from}: expected an entry ID like 23876432-0, or "start"`);
      }
      if (isMaterializedViewSink(sinkConfig)) {
        refuseViewReplay(sinkName, from, options.partition);
        const done = await withLogRedis(config, (redis, keys) => rebuildViewFromStart(config, sinkConfig, redis, keys));
        process.stdout.write(`${done}\n`);
        return;
      }
      const partitions =
        parsePartitions(options.partition, config.log.partitions) ??
        Array.from({ length: config.log.partitions }, (_, p) => p);
      await withLogRedis(config, async (_redis, _keys, log) => {
        for (const p of partitions) await log.positions.reset(sinkName, p, from);
      });
      process.stdout.write(
        `sink ${sinkName}: positions reset to ${from ?? 'the start'} in ${partitions.length} partition(s); workers replay from there\n`,
      );
    });
}
