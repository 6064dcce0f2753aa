import { Command, Option } from 'commander';
import { redactConfig } from '@distributary/config';
import { toJson } from '../json-output';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';
import { checkOffline } from '../preflight';
import { ROLE_NAMES, type RoleName } from '../roles/role';
import { describeConfig } from './summary';

export function validateCommand(): Command {
  return new Command('validate')
    .description('check a configuration file without starting anything; prints a summary or every error')
    .addOption(configOption())
    .addOption(
      new Option('--only <role>', 'check what `run --only <role>` needs (default: every role)').choices([
        ...ROLE_NAMES,
      ]),
    )
    .option('--json', 'print the validated configuration (secrets redacted) as JSON')
    .addHelpText(
      'after',
      '\nThe same offline checks `run` makes before it starts anything (run then also checks the servers).' +
        '\nExit codes: 0 valid, 2 invalid (each error names the path, line:column, what was found and expected).',
    )
    .action(async (options: ConfigOptions & { json?: boolean; only?: RoleName }) => {
      const { file, config } = loadConfigFrom(options);
      await checkOffline(file, config, options.only ? [options.only] : ROLE_NAMES);
      if (options.json) {
        process.stdout.write(`${toJson(redactConfig(config))}\n`);
        return;
      }
      process.stdout.write(`OK ${file}\n${describeConfig(config).join('\n')}\n`);
    });
}
