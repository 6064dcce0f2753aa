import { Command, Option } from 'commander';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';
import { EXIT_FAILURE } from '../exit-codes';
import { toJson } from '../json-output';
import { withLogRedis } from '../log-connection';
import { findSink } from './sink-arg';

interface VerifyCommandOptions extends ConfigOptions {
  sink?: string[];
  sample?: string;
  repair?: boolean;
  json?: boolean;
  timeout: string;
  pickup: string;
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description('compare sink targets with the source and report (or repair) differences')
    .argument('[sinks...]', 'sinks to verify (default: all)')
    .addOption(configOption())
    .option('--sink <name...>', 'sink(s) to verify (same as the positional names)')
    .option('--sample <n>', 'check a sample of about n keys per sink (chosen by key hash) instead of all')
    .option('--repair', 're-emit differing rows through the log (targeted snapshot), delete extra keys, verify again')
    .option('--json', 'print the results as JSON')
    .addOption(new Option('--timeout <ms>', 'how long to wait for a sink to catch up with the source').default('60000'))
    .addOption(
      new Option(
        '--pickup <ms>',
        'how long a repair snapshot may wait for a connector before the direct fallback',
      ).default('10000'),
    )
    .addHelpText(
      'after',
      `
Verification takes the source's current WAL position L, waits until the sink has applied everything
below it, then compares the source with the sink's target (documents, cache values and groups, view
rows). Keys that differ are checked once more at a later position before they are reported.
Exit code 0: every sink is clean (after repair, with --repair); 1: differences, a sink behind, or an error.`,
    )
    .action(async (names: string[], options: VerifyCommandOptions) => {
      const { config } = loadConfigFrom(options);
      const wanted = [...names, ...(options.sink ?? [])];
      const sinks = wanted.length ? wanted.map((name) => findSink(config, name)) : config.sinks;
      const sampleSize = options.sample === undefined ? undefined : Number(options.sample);
      if (sampleSize !== undefined && (!Number.isInteger(sampleSize) || sampleSize < 1)) {
        throw new Error(`--sample ${options.sample}: expected a positive whole number`);
      }
      const verifyOptions = {
        mode: sampleSize ? ('sample' as const) : ('full' as const),
        sampleSize,
        timeoutMs: Number(options.timeout),
        pickupMs: Number(options.pickup),
      };
      const { verifyAndRepair, verifySink, storeVerifyResult } = await import('@distributary/verify');
      const { renderVerify } = await import('../verify/render-verify');
      const outcomes = await withLogRedis(config, async (redis, keys) => {
        const results = [];
        for (const sink of sinks) {
          const outcome = options.repair
            ? await verifyAndRepair(config, sink, { redis }, verifyOptions)
            : { before: await verifySink(config, sink, { redis }, verifyOptions) };
          await storeVerifyResult(redis, keys, {
            ...outcome.before,
            repair: outcome.repair,
            afterRepair: outcome.after,
          });
          results.push(outcome);
        }
        return results;
      });
      process.stdout.write(options.json ? `${toJson(outcomes)}\n` : renderVerify(outcomes));
      const clean = outcomes.every((o) => (o.after ?? o.before).status === 'clean');
      if (!clean) process.exitCode = EXIT_FAILURE;
    });
}
