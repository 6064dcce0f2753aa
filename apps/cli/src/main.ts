#!/usr/bin/env node
/** Entry point of `distributary`: runs the command, maps errors to messages and exit codes. */
import { ConfigError, treatProtoAsOrdinaryKey } from '@distributary/core';
import { redactUrl } from '@distributary/observability';
import { EXIT_FAILURE, EXIT_INVALID_CONFIG, ExitError } from './exit-codes';
import { buildProgram } from './program';
import { stopWhenLauncherDies } from './launcher-link';
import { exitWhenFlushed } from './terminal/exit';

treatProtoAsOrdinaryKey(); // column names are data: see libs/core/src/proto-key.ts

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT_INVALID_CONFIG;
    }
    if (error instanceof ExitError) {
      if (error.message) process.stderr.write(`${error.message}\n`);
      return error.code;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${redactUrl(message)}\n`);
    return EXIT_FAILURE;
  }
}

/** Runs the CLI and exits with its code once all of its output has been written. */
export function runAndExit(argv: string[]): void {
  void main(argv).then((code) => exitWhenFlushed(code));
}

if (require.main === module) {
  stopWhenLauncherDies();
  runAndExit(process.argv);
}
