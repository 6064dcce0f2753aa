import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { logFormat, prettyDestination, prettySerializers } from './log-format';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

function prettyLogger(level: string) {
  const out = capture();
  const logger = pino(
    { name: 'worker', level, serializers: { err: pino.stdSerializers.err, ...prettySerializers(level) } },
    prettyDestination(level, {}, out.stream),
  );
  return { logger, out };
}

describe('log format', () => {
  it('is JSON when stdout is not a terminal, pretty on a terminal, and LOG_FORMAT decides over both', () => {
    expect(logFormat({}, { isTTY: false })).toBe('json');
    expect(logFormat({}, { isTTY: true })).toBe('pretty');
    expect(logFormat({ LOG_FORMAT: 'json' }, { isTTY: true })).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'pretty' }, { isTTY: false })).toBe('pretty');
  });

  it('prints one line per event on a terminal: the error message, no stack, no colour codes into a non-TTY', () => {
    const { logger, out } = prettyLogger('info');
    logger.warn({ err: new Error('connect ECONNREFUSED 127.0.0.1:19200'), sink: 'products' }, 'write failed');
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('WARN');
    expect(lines[0]).toContain('write failed: connect ECONNREFUSED 127.0.0.1:19200');
    expect(lines[0]).toContain('"sink":"products"');
    expect(lines[0]).not.toContain('at ');
    expect(lines[0]).not.toContain('\u001b[');
  });

  it('keeps the stack at debug level', () => {
    const { logger, out } = prettyLogger('debug');
    logger.error({ err: new Error('boom') }, 'failed');
    expect(out.text()).toContain('stack');
  });
});
