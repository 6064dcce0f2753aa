import pino, { type Logger } from 'pino';
import { redactSecrets } from './redact';

export type { Logger } from 'pino';

/** Structured JSON logs (pino). Every logged object passes through redactSecrets. */
export function createLogger(name: string, level = process.env.DISTRIBUTARY_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: (object) => redactSecrets(object) },
    serializers: { err: pino.stdSerializers.err },
  });
}

/** A logger that writes nothing: for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
