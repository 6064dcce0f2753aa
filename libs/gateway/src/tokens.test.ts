import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { issueToken, TOKEN_AUDIENCE, TokenError, verifyToken, type TokenScope } from './tokens';

const OLD = { kid: 'old', secret: 'o'.repeat(32) };
const NEW = { kid: 'new', secret: 'n'.repeat(40) };
const scope: TokenScope = { subscription: 'by-category', params: { category: '3' } };

async function refusal(token: string, wanted = scope, keys = [NEW, OLD]): Promise<number> {
  try {
    await verifyToken(token, keys, wanted);
  } catch (error) {
    expect(error).toBeInstanceOf(TokenError);
    return (error as TokenError).status;
  }
  throw new Error('expected a refusal');
}

describe('valet-key tokens', () => {
  it('verifies a token by its kid (rotation: old and new keys both valid)', async () => {
    for (const key of [OLD, NEW]) {
      const token = await issueToken({ ...scope, ttlSeconds: 60, key });
      await expect(verifyToken(token, [NEW, OLD], scope)).resolves.toMatchObject(scope);
    }
  });

  it('refuses forged, unknown-key, expired, admin and malformed tokens (401)', async () => {
    const forged = await issueToken({ ...scope, ttlSeconds: 60, key: { kid: 'new', secret: 'x'.repeat(40) } });
    expect(await refusal(forged)).toBe(401);
    expect(await refusal(await issueToken({ ...scope, ttlSeconds: 60, key: OLD }), scope, [NEW])).toBe(401);
    const expired = await new SignJWT({ sub: scope.subscription, prm: scope.params })
      .setProtectedHeader({ alg: 'HS256', kid: 'new' })
      .setAudience(TOKEN_AUDIENCE)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode(NEW.secret));
    expect(await refusal(expired)).toBe(401);
    const noAudience = await new SignJWT({ sub: scope.subscription, prm: scope.params })
      .setProtectedHeader({ alg: 'HS256', kid: 'new' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + 60)
      .sign(new TextEncoder().encode(NEW.secret));
    expect(await refusal(noAudience)).toBe(401);
    expect(await refusal('verify-operator-token')).toBe(401);
    expect(await refusal('')).toBe(401);
  });

  it('refuses a token of another subscription or other parameter values (403)', async () => {
    const token = await issueToken({ ...scope, ttlSeconds: 60, key: NEW });
    expect(await refusal(token, { subscription: 'other', params: scope.params })).toBe(403);
    expect(await refusal(token, { subscription: scope.subscription, params: { category: '4' } })).toBe(403);
    expect(await refusal(token, { subscription: scope.subscription, params: { category: '3', x: '1' } })).toBe(403);
    expect(await refusal(token, { subscription: scope.subscription, params: {} })).toBe(403);
  });
});
