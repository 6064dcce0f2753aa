import pino, { type DestinationStream, type Logger } from 'pino';
import { logFormat, logLevel, prettyDestination, prettySerializers } from './log-format';
import { redactSecrets, redactUrl } from './redact';

export type { Logger } from 'pino';

/**
 * Logs (pino): JSON lines for machines, one readable line per event on a terminal (see log-format.ts).
 * Every logged object and message passes through redaction.
 */
export function createLogger(name: string, level = logLevel(), destination?: DestinationStream): Logger {
  const pretty = !destination && logFormat() === 'pretty';
  const options: pino.LoggerOptions = {
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: (object) => redactSecrets(object) },
    serializers: { err: pino.stdSerializers.err, ...(pretty ? prettySerializers(level) : {}) },
    hooks: {
      logMethod(args, method) {
        // Message strings (and their printf arguments) are redacted like logged objects.
        const redacted = args.map((arg) => (typeof arg === 'string' ? redactUrl(arg) : arg)) as Parameters<
          typeof method
        >;
        method.apply(this, redacted);
      },
    },
  };
  if (destination) return pino(options, destination);
  return pretty ? pino(options, prettyDestination(level)) : pino(options);
}

/** A logger that writes nothing: for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
