import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { TokenError, verifyToken } from '@distributary/gateway';
import { issueToken } from './issue-token';

const KEY = { kid: 'k1', secret: 'client-issue-token-test-secret-0123456789' };

describe('issueToken (@distributary/client/server)', () => {
  it('mints what the gateway verifies: parameters as strings, ttl as a duration, kid in the header', async () => {
    const token = await issueToken({ subscription: 'products', params: { category: 3 }, ttl: '15m', key: KEY });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256', kid: 'k1' });
    const verified = await verifyToken(token, [KEY], { subscription: 'products', params: { category: '3' } });
    expect(verified.exp - Math.floor(Date.now() / 1000)).toBeGreaterThan(14 * 60);
    await expect(verifyToken(token, [KEY], { subscription: 'products', params: { category: '4' } })).rejects.toThrow(
      TokenError,
    );
  });

  it('takes the secret and kid apart, and refuses a bad ttl or a missing kid', async () => {
    const token = await issueToken({ subscription: 's', ttl: 60, key: KEY.secret, kid: 'k1' });
    await expect(verifyToken(token, [KEY], { subscription: 's', params: {} })).resolves.toMatchObject({
      subscription: 's',
    });
    await expect(issueToken({ subscription: 's', ttl: '25h', key: KEY })).rejects.toThrow(RangeError);
    await expect(issueToken({ subscription: 's', ttl: 0, key: KEY })).rejects.toThrow(RangeError);
    await expect(issueToken({ subscription: 's', key: KEY.secret })).rejects.toThrow(/kid/);
  });
});
