import { Command } from 'commander';
import { toJson } from '../json-output';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';
import { withLogRedis } from '../log-connection';
import { parsePartitions } from './sink-arg';

export function compactCommand(): Command {
  return new Command('compact')
    .description(
      'run log retention now (compaction, or time trimming per log.retention.mode) and report what it reclaimed',
    )
    .addOption(configOption())
    .option('-p, --partition <n...>', 'only these partitions')
    .option('--force', 'also remove entries a sink has not committed yet (that sink will miss them)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nCompaction keeps at least the latest event of every key, never changes order or IDs, keeps delete\n' +
        'tombstones for log.retention.tombstones and touches nothing younger than log.retention.minLag.',
    )
    .action(async (options: ConfigOptions & { partition?: string[]; force?: boolean; json?: boolean }) => {
      const { config } = loadConfigFrom(options);
      const partitions = parsePartitions(options.partition, config.log.partitions) ?? config.log.partitions;
      const report = await withLogRedis(config, (_redis, _keys, log) =>
        log.compaction.maintain(
          config.log.retention,
          { sinks: config.sinks.map((s) => s.name), force: options.force },
          partitions,
        ),
      );
      if (options.json) {
        process.stdout.write(`${toJson(report)}\n`);
        return;
      }
      process.stdout.write(
        `${report.mode}: removed ${report.entriesRemoved} entries (~${report.bytesEstimated} bytes) in ${report.partitions.length} partitions\n`,
      );
      for (const p of report.partitions) {
        const held = p.heldBackBy.length ? `, held back by ${p.heldBackBy.join(', ')}` : '';
        process.stdout.write(
          `  p${p.partition}: scanned ${p.scanned}, removed ${p.entriesRemoved}, memory ${p.memoryBefore} -> ${p.memoryAfter} bytes${held}\n`,
        );
      }
    });
}
