import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { TokenStore } from './token-store';
import { isReadOnly, presentedToken } from './request-token';

/**
 * Every /api route needs a valid token (401 otherwise); a state-changing method (anything but
 * GET/HEAD/OPTIONS) needs the operator role (403 for a viewer). Routes outside /api (health, metrics,
 * the dashboard) are public. Deciding by HTTP method means no endpoint can forget its role check.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(@Inject(TokenStore) private readonly tokens: TokenStore) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context
      .switchToHttp()
      .getRequest<IncomingMessage & { path?: string; originalUrl?: string; adminRole?: string }>();
    const path = request.path ?? request.originalUrl ?? request.url ?? '';
    if (!path.startsWith('/api')) return true;
    const role = this.tokens.roleOf(presentedToken(request));
    if (!role) throw new UnauthorizedException('a valid bearer token is required (Authorization: Bearer <token>)');
    if (!isReadOnly(request.method) && role !== 'operator')
      throw new ForbiddenException('this action needs an operator token; the token presented is a viewer token');
    request.adminRole = role;
    return true;
  }
}
