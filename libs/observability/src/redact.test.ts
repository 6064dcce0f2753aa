import { afterEach, describe, expect, it } from 'vitest';
import {
  clearRegisteredSecrets,
  createLogger,
  redactSecretParams,
  redactSecrets,
  redactUrl,
  redactUserInfo,
  registerSecrets,
} from '@distributary/observability';

afterEach(() => clearRegisteredSecrets());

describe('redaction', () => {
  it('removes passwords from URLs and secret-named fields, deeply', () => {
    expect(redactUrl('postgres://app:s3cret@db:5432/shop')).toBe('postgres://app:***@db:5432/shop');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    const redacted = redactSecrets({ a: { url: 'redis://:pw@h:1', password: 'x', tokens: [{ token: 't' }] } });
    expect(JSON.stringify(redacted)).not.toMatch(/pw@|"x"|"t"/);
  });

  it('keeps the message and stack of errors, with secrets redacted', () => {
    const redacted = redactSecrets({ err: new Error('connect postgres://u:pw@db/x failed') }) as {
      err: { message: string; stack: string };
    };
    expect(redacted.err.message).toBe('connect postgres://u:***@db/x failed');
    expect(redacted.err.stack).toMatch(/Error/);
  });

  it('redacts a password holding an unescaped @ whole, and password= parameters', () => {
    expect(redactUrl('postgres://u:Ab@cd@h/db')).toBe('postgres://u:***@h/db');
    expect(redactUrl('see postgres://u@h/db?sslmode=off&password=Hunter22 now')).toBe(
      'see postgres://u@h/db?sslmode=off&password=*** now',
    );
    expect(redactUrl('host=h PASSWORD=abc user=u')).toBe('host=h PASSWORD=*** user=u');
    expect(redactSecretParams('mypassword=keep')).toBe('mypassword=keep');
    expect(redactUserInfo('a "redis://:pw@h:1" b http://x:y@z')).toBe('a "redis://:***@h:1" b http://x:***@z');
  });

  it('replaces registered secret values wherever they appear, in their URL-encoded spelling too', () => {
    registerSecrets(['s3cr3t/value', 'tok-abcdefgh']);
    expect(redactUrl('row says s3cr3t/value and s3cr3t%2Fvalue; Bearer tok-abcdefgh')).toBe(
      'row says *** and ***; Bearer ***',
    );
    expect(redactSecrets({ nested: ['x tok-abcdefgh y'] })).toEqual({ nested: ['x *** y'] });
  });

  it('redacts log messages and logged objects', () => {
    registerSecrets(['hunter2-secret']);
    const lines: string[] = [];
    const logger = createLogger('t', 'info', { write: (line: string) => void lines.push(line) });
    logger.info({ detail: 'postgres://u:pw@h/db' }, 'connecting with hunter2-secret');
    logger.error({ err: new Error('failed for hunter2-secret') }, 'boom %s', 'hunter2-secret');
    const text = lines.join('');
    expect(text).toContain('connecting with ***');
    expect(text).not.toMatch(/hunter2-secret|:pw@/);
  });
});
