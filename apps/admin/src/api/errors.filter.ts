import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createLogger } from '@distributary/observability';
import { isUnavailable } from './unavailable';

interface ParserError {
  status?: unknown;
  type?: unknown;
  expose?: unknown;
}

const PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.too.large': [413, 'request body too large', 'Payload Too Large'],
  'entity.parse.failed': [400, 'request body is not valid JSON', 'Bad Request'],
  'entity.verify.failed': [400, 'request body refused', 'Bad Request'],
  'encoding.unsupported': [415, 'unsupported content encoding', 'Unsupported Media Type'],
  'charset.unsupported': [415, 'unsupported charset (use utf-8)', 'Unsupported Media Type'],
  'request.aborted': [400, 'request aborted', 'Bad Request'],
  'request.size.invalid': [400, 'request size does not match Content-Length', 'Bad Request'],
  'stream.encoding.set': [500, 'internal error', 'Internal Server Error'],
};

/**
 * Every error becomes a JSON answer that never leaks internals: HttpExceptions as thrown (their
 * messages are ours); body-parser errors as 400/413/415; a dependency that cannot be reached as 503
 * and anything else as 500 — both with a generic message and a reference to the full error, which
 * goes to the admin log only.
 */
@Catch()
export class ErrorsFilter implements ExceptionFilter {
  private readonly logger = createLogger('admin');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<ServerResponse & { headersSent: boolean }>();
    let status: number;
    let body: unknown;
    const parser = exception as ParserError;
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      body = exception.getResponse();
      if (typeof body === 'string') body = { statusCode: status, message: body };
      const retry = (body as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (status === 429 && typeof retry === 'number' && !response.headersSent)
        response.setHeader('Retry-After', String(retry));
    } else if (typeof parser?.type === 'string' && PARSER_ERRORS[parser.type]) {
      const [code, message, error] = PARSER_ERRORS[parser.type];
      status = code;
      body = { statusCode: code, message, error };
    } else if (typeof parser?.status === 'number' && parser.status >= 400 && parser.status < 500) {
      status = parser.status;
      body = { statusCode: status, message: 'bad request', error: 'Bad Request' };
    } else {
      const ref = randomBytes(4).toString('hex');
      const text = (exception instanceof Error ? exception.message : String(exception)).slice(0, 2000);
      status = isUnavailable(text) ? 503 : 500;
      body = {
        statusCode: status,
        message:
          status === 503
            ? `a dependency is unavailable (log Redis or source Postgres); see the admin log, ref ${ref}`
            : `internal error; see the admin log, ref ${ref}`,
        error: status === 503 ? 'Service Unavailable' : 'Internal Server Error',
      };
      this.logger.warn({ err: exception, ref }, 'admin request failed');
    }
    if (response.headersSent) return void response.end();
    response.statusCode = status;
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.end(JSON.stringify(body));
  }
}
