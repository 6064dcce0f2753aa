import { type CanActivate, type ExecutionContext, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuditLog } from '../backend/audit-log';
import { Authenticator } from './authenticator';
import { PUBLIC_ROUTE } from './public.decorator';
import { isReadOnly } from './request-token';

type AdminRequest = IncomingMessage & {
  path?: string;
  originalUrl?: string;
  body?: unknown;
  adminRole?: string;
  adminWho?: string;
};

/**
 * Every route needs a valid token (401 otherwise; 429 after too many wrong ones) unless marked
 * @Public() (health, readiness, metrics); a state-changing method (anything but GET/HEAD/OPTIONS)
 * needs the operator role (403 for a viewer). Deciding by route metadata and HTTP method means no
 * endpoint can forget its check, whatever the spelling of its path. The dashboard cookie counts only
 * for GET /api/events/*. Every state-changing request with a valid token goes to the audit log with
 * its outcome.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Authenticator) private readonly auth: Authenticator,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]))
      return true;
    const http = context.switchToHttp();
    const request = http.getRequest<AdminRequest>();
    const path = (request.path ?? request.originalUrl ?? request.url ?? '').toLowerCase();
    const identity = this.auth.authenticate(request, { cookie: path.startsWith('/api/events/') });
    request.adminRole = identity.role;
    request.adminWho = identity.who;
    if (isReadOnly(request.method)) return true;
    const response = http.getResponse<ServerResponse>();
    response.once('finish', () => {
      void this.audit.record({
        who: identity.who,
        role: identity.role,
        method: (request.method ?? '?').toUpperCase(),
        path: request.originalUrl ?? request.url ?? '',
        status: response.statusCode,
        client: request.socket?.remoteAddress ?? '',
        body: request.body,
      });
    });
    if (identity.role !== 'operator')
      throw new ForbiddenException('this action needs an operator token; the token presented is a viewer token');
    return true;
  }
}
