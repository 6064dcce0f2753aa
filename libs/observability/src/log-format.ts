/**
 * Where and how log lines are written: JSON for machines (stdout is not a terminal, or
 * `LOG_FORMAT=json`), one compact, coloured line per event for a person at a terminal (pino-pretty,
 * or `LOG_FORMAT=pretty`). On a terminal an error shows its message only; the stack comes with
 * `LOG_LEVEL=debug` (or `DISTRIBUTARY_LOG_LEVEL=debug`, `--verbose`).
 */
import type { DestinationStream, LoggerOptions } from 'pino';
import type PinoPretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

export function logFormat(
  env: NodeJS.ProcessEnv = process.env,
  stdout: { isTTY?: boolean } = process.stdout,
): LogFormat {
  const wanted = env.LOG_FORMAT?.toLowerCase();
  if (wanted === 'json' || wanted === 'pretty') return wanted;
  return stdout.isTTY === true ? 'pretty' : 'json';
}

function wantsColour(env: NodeJS.ProcessEnv, stdout: { isTTY?: boolean }): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stdout.isTTY === true;
}

/** The log level asked for by the environment (`LOG_LEVEL` or `DISTRIBUTARY_LOG_LEVEL`), else info. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): string {
  return env.DISTRIBUTARY_LOG_LEVEL ?? env.LOG_LEVEL ?? 'info';
}

/** An error as a person reads it: type and message on the line, no stack unless verbose. */
function briefError(error: unknown): unknown {
  // Redaction may already have turned the Error into a plain object: take its fields either way.
  if (typeof error !== 'object' || error === null) return error;
  const { name, type, message, code } = error as Record<string, unknown>;
  if (typeof message !== 'string') return error;
  return { type: name ?? type, message, ...(code !== undefined ? { code } : {}) };
}

function errorMessage(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const message = (value as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
}

/**
 * A synchronous pretty stream (no worker thread): lines stay in order with anything else printed.
 * One line per event: the error's message follows the log message; the error object itself (with its
 * stack) is printed only at debug level.
 */
export function prettyDestination(
  level: string = logLevel(),
  env: NodeJS.ProcessEnv = process.env,
  output: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
): DestinationStream {
  const verbose = level === 'debug' || level === 'trace';
  // Loaded on use: a process logging JSON (every deployed role) never loads pino-pretty (~8 MiB of RSS).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous, on first use
  const pretty = require('pino-pretty') as typeof PinoPretty;
  return pretty({
    destination: output,
    colorize: wantsColour(env, output),
    singleLine: true,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: verbose ? 'pid,hostname' : 'pid,hostname,err,error',
    messageFormat: (log, messageKey) => {
      const message = String(log[messageKey] ?? '');
      const cause = verbose ? undefined : (errorMessage(log.err) ?? errorMessage(log.error));
      return cause ? `${message}: ${cause}` : message;
    },
  });
}

/** Serializers for the pretty format: brief errors unless the level is debug or trace. */
export function prettySerializers(level: string): LoggerOptions['serializers'] {
  if (level === 'debug' || level === 'trace') return undefined;
  return { err: briefError, error: briefError };
}
