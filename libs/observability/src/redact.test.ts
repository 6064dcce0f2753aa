import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl } from '@distributary/observability';

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
});
