import { HttpException, HttpStatus, UnauthorizedException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { FailureLimiter } from './failure-limiter';
import { presentedToken } from './request-token';
import { TokenStore, type TokenIdentity } from './token-store';

/**
 * Who a request is: the bearer token, or — only where documented (server-sent events, the API docs;
 * GET) — the dashboard's cookie. Wrong tokens count against the client's address in the failure
 * limiter; over the limit every attempt gets 429 until the window ends.
 */
export class Authenticator {
  constructor(
    readonly tokens: TokenStore,
    readonly failures: FailureLimiter,
  ) {}

  authenticate(request: IncomingMessage, options: { cookie: boolean }): TokenIdentity {
    const client = request.socket?.remoteAddress ?? 'unknown';
    const wait = this.failures.blockedFor(client);
    if (wait > 0)
      throw new HttpException(
        {
          statusCode: HttpStatus.TOO_MANY_REQUESTS,
          message: `too many wrong tokens from this address; retry in ${Math.ceil(wait / 1000)} s`,
          error: 'Too Many Requests',
          retryAfterSeconds: Math.ceil(wait / 1000),
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    const presented = presentedToken(request, options);
    const identity = this.tokens.identify(presented);
    if (identity) return identity;
    if (presented) this.failures.fail(client);
    throw new UnauthorizedException('a valid bearer token is required (Authorization: Bearer <token>)');
  }
}
