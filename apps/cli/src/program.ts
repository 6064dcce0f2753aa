/** The `distributary` command line: one subcommand per file under commands/. */
import { Command } from 'commander';
import { clientCommand } from './commands/client';
import { compactCommand } from './commands/compact';
import { dlqCommand } from './commands/dlq';
import { replayCommand } from './commands/replay';
import { resyncCommand } from './commands/resync';
import { runCommand } from './commands/run';
import { snapshotCommand } from './commands/snapshot';
import { statusCommand } from './commands/status';
import { tokenCommand } from './commands/token';
import { validateCommand } from './commands/validate';
import { verifyCommand } from './commands/verify';

export function buildProgram(): Command {
  return new Command('distributary')
    .description(
      'Keep Elasticsearch indexes, Redis caches and Postgres views in step with PostgreSQL through its change log',
    )
    .version('0.1.0')
    .showHelpAfterError()
    .addCommand(validateCommand())
    .addCommand(runCommand())
    .addCommand(statusCommand())
    .addCommand(snapshotCommand())
    .addCommand(compactCommand())
    .addCommand(replayCommand())
    .addCommand(dlqCommand())
    .addCommand(verifyCommand())
    .addCommand(resyncCommand())
    .addCommand(tokenCommand())
    .addCommand(clientCommand());
}
