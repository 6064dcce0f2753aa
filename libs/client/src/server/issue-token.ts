/**
 * Token minting for application backends: the same signing as the gateway's own (issueToken of
 * @distributary/gateway, which `distributary token issue` uses too): HS256, `kid` header, audience
 * `distributary-gateway`, `sub` = subscription, `prm` = parameter values as strings, `exp`.
 */
import { parseDuration } from '@distributary/config';
import { issueToken as signToken, MAX_TOKEN_TTL_SECONDS, type TokenKey } from '@distributary/gateway';

export interface IssueTokenOptions {
  /** The subscription's name (subscriptions[].name). */
  subscription: string;
  /** Its parameter values, exactly as the client will pass them (numbers become their decimal text). */
  params?: Record<string, string | number>;
  /** Lifetime: seconds, or a duration such as '30s', '15m', '1h' (at most 24 h; default 5 min). */
  ttl?: number | string;
  /** A signing key of `gateway.keys` ({ kid, secret }), or its secret with `kid` alongside. */
  key: TokenKey | string;
  kid?: string;
}

export const DEFAULT_TOKEN_TTL_SECONDS = 300;

function ttlSeconds(ttl: number | string | undefined): number {
  if (ttl === undefined) return DEFAULT_TOKEN_TTL_SECONDS;
  const seconds = typeof ttl === 'number' ? ttl : Math.floor(parseDuration(ttl) / 1000);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TOKEN_TTL_SECONDS)
    throw new RangeError(`a token lives 1 s to ${MAX_TOKEN_TTL_SECONDS} s, not ${String(ttl)}`);
  return seconds;
}

/** Mints a valet-key token for one subscription and its exact parameter values. */
export async function issueToken(options: IssueTokenOptions): Promise<string> {
  const key: TokenKey =
    typeof options.key === 'string' ? { kid: options.kid ?? '', secret: options.key } : { ...options.key };
  if (typeof options.key !== 'string' && options.kid !== undefined) key.kid = options.kid;
  if (!key.kid) throw new TypeError('issueToken needs the key id (kid) the gateway knows the key by');
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.params ?? {})) params[name] = String(value);
  return signToken({ subscription: options.subscription, params, ttlSeconds: ttlSeconds(options.ttl), key });
}
