import { Command } from 'commander';
import { redactConfig } from '@distributary/config';
import { toJson } from '../json-output';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';
import { checkOffline } from '../preflight';
import { ROLE_NAMES } from '../roles/role';
import { describeConfig } from './summary';

export function validateCommand(): Command {
  return new Command('validate')
    .description('check a configuration file without starting anything; prints a summary or every error')
    .addOption(configOption())
    .option('--json', 'print the validated configuration (secrets redacted) as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 valid, 2 invalid (each error names the path, line:column, what was found and expected).',
    )
    .action(async (options: ConfigOptions & { json?: boolean }) => {
      const { file, config } = loadConfigFrom(options);
      // The same offline checks as `run` (all roles, as `run` starts them by default).
      await checkOffline(file, config, ROLE_NAMES);
      if (options.json) {
        process.stdout.write(`${toJson(redactConfig(config))}\n`);
        return;
      }
      process.stdout.write(`OK ${file}\n${describeConfig(config).join('\n')}\n`);
    });
}
