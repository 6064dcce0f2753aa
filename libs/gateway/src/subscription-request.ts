/**
 * A subscription request checked before its stream opens: its parameters, its position
 * (`Last-Event-ID` header or `?lastEventId=`), `?after=`, and its valet-key token
 * (`Authorization: Bearer …` or `?token=`, since EventSource cannot set headers), whose scope must
 * be exactly this subscription and these parameter values. A refusal is an HTTP status and message:
 * 400 bad parameters or position, 401 missing/malformed/forged/expired token, 403 a token for
 * another subscription or other parameter values.
 */
import type { IncomingMessage } from 'node:http';
import { parseLsnParam, parseResumeId, PositionVectorError, type ResumePoint } from './positions';
import { ParamsError, type CompiledSubscription } from './subscription-filter';
import { TokenError, verifyToken, type SubscriptionParams, type TokenKey } from './tokens';

/** Query parameters that are the gateway's, not the subscription's. */
const RESERVED = new Set(['token', 'lastEventId', 'after']);

/** A request allowed to stream. */
export interface AdmittedRequest {
  params: SubscriptionParams;
  /** The client's position, when it resumes. */
  resumeAt: ResumePoint | undefined;
  /** `?after=`: `ready` waits until the gateway has passed this source LSN. */
  after: bigint | undefined;
  /** The token's expiry, seconds since the epoch. */
  expiresAt: number;
}

/** A request refused: the HTTP status and the message of its JSON body. */
export interface Refusal {
  status: number;
  error: string;
}

/** Checks a request for `subscription`; throws only what is not the client's fault. */
export async function admit(
  req: IncomingMessage,
  url: URL,
  subscription: CompiledSubscription,
  keys: TokenKey[],
  partitions: number,
): Promise<AdmittedRequest | Refusal> {
  let params: SubscriptionParams;
  let resumeAt: ResumePoint | undefined;
  let after: bigint | undefined;
  try {
    params = subscription.parseParams(url.searchParams, RESERVED);
    const lastEventId = headerValue(req, 'last-event-id') ?? url.searchParams.get('lastEventId') ?? undefined;
    if (lastEventId) resumeAt = parseResumeId(lastEventId, partitions);
    const afterText = url.searchParams.get('after');
    if (afterText !== null) after = parseLsnParam(afterText);
  } catch (error) {
    if (error instanceof ParamsError || error instanceof PositionVectorError)
      return { status: 400, error: error.message };
    throw error;
  }
  const token = bearer(req) ?? url.searchParams.get('token') ?? '';
  let expiresAt: number;
  try {
    ({ exp: expiresAt } = await verifyToken(token, keys, { subscription: subscription.name, params }));
  } catch (error) {
    if (error instanceof TokenError) return { status: error.status, error: error.message };
    throw error;
  }
  return { params, resumeAt, after, expiresAt };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function bearer(req: IncomingMessage): string | undefined {
  const header = headerValue(req, 'authorization');
  if (!header || !header.toLowerCase().startsWith('bearer ')) return undefined;
  return header.slice(7).trim();
}
