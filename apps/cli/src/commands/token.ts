import { Command, Option } from 'commander';
import { parseDuration } from '@distributary/config';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';
import { EXIT_FAILURE, ExitError } from '../exit-codes';

interface IssueOptions extends ConfigOptions {
  param: string[];
  ttl: string;
  kid?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function fail(message: string): never {
  throw new ExitError(EXIT_FAILURE, message);
}

/**
 * `distributary token issue <subscription> --param category=3 --ttl 15m`: mints a gateway valet-key
 * token (HS256, signed with a `gateway.keys` entry) for trying a subscription out. Applications mint
 * their own with issueToken() from @distributary/gateway.
 */
export function tokenCommand(): Command {
  const issue = new Command('issue')
    .description('mint a token for one subscription and its parameter values (printed on stdout)')
    .argument('<subscription>', 'subscription name (subscriptions[].name)')
    .addOption(configOption())
    .option('--param <name=value>', 'a parameter value (repeat for each declared parameter)', collect, [])
    .addOption(new Option('--ttl <duration>', 'lifetime, e.g. 30s, 15m, 1h (at most 24h)').default('15m'))
    .option('--kid <kid>', 'signing key id (default: the first of gateway.keys)')
    .action(async (name: string, options: IssueOptions) => {
      const { config } = loadConfigFrom(options);
      const subscription = config.subscriptions?.find((s) => s.name === name);
      if (!subscription)
        fail(
          `unknown subscription "${name}" (configured: ${(config.subscriptions ?? []).map((s) => s.name).join(', ') || 'none'})`,
        );
      const keys = config.gateway?.keys ?? [];
      const key = options.kid === undefined ? keys[0] : keys.find((k) => k.kid === options.kid);
      if (!key) fail(options.kid ? `no gateway key with kid "${options.kid}"` : 'no gateway.keys configured');
      const params: Record<string, string> = {};
      for (const pair of options.param) {
        const eq = pair.indexOf('=');
        if (eq < 1) fail(`--param expects name=value, got "${pair}"`);
        const param = pair.slice(0, eq);
        if (!subscription.params.includes(param))
          fail(`"${name}" has no parameter "${param}" (declared: ${subscription.params.join(', ') || 'none'})`);
        params[param] = pair.slice(eq + 1);
      }
      const missing = subscription.params.filter((p) => !Object.hasOwn(params, p));
      if (missing.length > 0) fail(`missing --param for ${missing.join(', ')}`);
      let ttlSeconds: number;
      try {
        ttlSeconds = Math.floor(parseDuration(options.ttl) / 1000);
      } catch (error) {
        fail((error as Error).message);
      }
      const { issueToken } = await import('@distributary/gateway');
      try {
        process.stdout.write(`${await issueToken({ subscription: name, params, ttlSeconds, key })}\n`);
      } catch (error) {
        fail((error as Error).message);
      }
    });
  return new Command('token').description('gateway valet-key tokens for live subscriptions').addCommand(issue);
}
