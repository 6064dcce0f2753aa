import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { createLogger, redactSecrets } from '@distributary/observability';

/**
 * Unexpected errors become a clear answer instead of a bare "Internal server error": 503 when a
 * dependency (log Redis, source Postgres) is unreachable, 500 otherwise — the message redacted.
 */
const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection is closed|max retries per request|timeout exceeded when trying to connect|Connection terminated|CLUSTERDOWN/i;

@Catch()
export class ErrorsFilter implements ExceptionFilter {
  private readonly logger = createLogger('admin');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<ServerResponse & { headersSent: boolean }>();
    let status: number;
    let body: unknown;
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      body = exception.getResponse();
      if (typeof body === 'string') body = { statusCode: status, message: body };
    } else {
      const message = redactSecrets(exception instanceof Error ? exception.message : String(exception));
      status = UNAVAILABLE.test(message) ? 503 : 500;
      body = {
        statusCode: status,
        message: status === 503 ? `a dependency is unavailable: ${message}` : message,
        error: status === 503 ? 'Service Unavailable' : 'Internal Server Error',
      };
      this.logger.warn({ err: exception }, 'admin request failed');
    }
    if (response.headersSent) return void response.end();
    response.statusCode = status;
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.end(JSON.stringify(body));
  }
}
