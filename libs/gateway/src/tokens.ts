/**
 * Valet-key tokens: HS256 JWTs an application backend mints for one subscription, its exact
 * parameter values and a short life. The `kid` header selects the verifying key, so keys rotate by
 * listing the new one next to the old. The audience `distributary-gateway` keeps these tokens apart
 * from everything else (admin API tokens are opaque strings and fail here as malformed).
 */
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';

export const TOKEN_AUDIENCE = 'distributary-gateway';
/** Longest life a token may be minted with. */
export const MAX_TOKEN_TTL_SECONDS = 24 * 3600;
const MAX_TOKEN_LENGTH = 8192;

export interface TokenKey {
  kid: string;
  secret: string;
}

export type SubscriptionParams = Record<string, string>;

export interface TokenScope {
  subscription: string;
  params: SubscriptionParams;
}

export interface VerifiedToken extends TokenScope {
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** 401: missing, malformed, forged or expired; 403: valid but for another subscription or parameters. */
export class TokenError extends Error {
  constructor(
    message: string,
    readonly status: 401 | 403,
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();

export async function issueToken(options: TokenScope & { ttlSeconds: number; key: TokenKey }): Promise<string> {
  const { ttlSeconds, key } = options;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TOKEN_TTL_SECONDS)
    throw new Error(`a token lives 1 s to ${MAX_TOKEN_TTL_SECONDS} s, not ${ttlSeconds}`);
  return new SignJWT({ sub: options.subscription, prm: { ...options.params } })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT' })
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(encoder.encode(key.secret));
}

function sameParams(granted: unknown, requested: SubscriptionParams): boolean {
  if (!granted || typeof granted !== 'object' || Array.isArray(granted)) return false;
  const names = Object.keys(granted);
  if (names.length !== Object.keys(requested).length) return false;
  return names.every(
    (name) =>
      Object.hasOwn(requested, name) &&
      typeof (granted as Record<string, unknown>)[name] === 'string' &&
      (granted as Record<string, string>)[name] === requested[name],
  );
}

/** Checks signature (key by `kid`), audience, expiry, then that the token grants exactly `wanted`. */
export async function verifyToken(token: string, keys: TokenKey[], wanted: TokenScope): Promise<VerifiedToken> {
  if (!token || token.length > MAX_TOKEN_LENGTH) throw new TokenError('a token is required', 401);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      async (header) => {
        const key = keys.find((k) => k.kid === header.kid);
        if (!key) throw new TokenError('unknown key id', 401);
        return encoder.encode(key.secret);
      },
      { algorithms: ['HS256'], audience: TOKEN_AUDIENCE, requiredClaims: ['exp', 'sub'] },
    ));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new TokenError('token expired', 401);
    throw new TokenError('invalid token', 401);
  }
  if (payload.sub !== wanted.subscription) throw new TokenError('token is for another subscription', 403);
  if (!sameParams(payload.prm, wanted.params)) throw new TokenError('token is for other parameters', 403);
  return { subscription: payload.sub, params: { ...wanted.params }, exp: payload.exp as number };
}
