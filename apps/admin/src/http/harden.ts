import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';

/** Largest request body the admin API reads (the largest legitimate one, a snapshot `where`, is ~4 kB). */
export const BODY_LIMIT_BYTES = 64 * 1024;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function reject(res: ServerResponse, status: number, message: string, error: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ statusCode: status, message, error }));
}

/**
 * Request bodies are JSON only: a state-changing request that carries a body or names a content type
 * must say `application/json` (415 otherwise: a form post can never trigger an action). A declared
 * length over the limit is refused before reading (413); the JSON parser enforces it for chunked ones.
 */
export function jsonOnly(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  if (!WRITE_METHODS.has((req.method ?? 'GET').toUpperCase())) return next();
  const type = req.headers['content-type'];
  const length = Number(req.headers['content-length'] ?? 0);
  const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
  if ((hasBody || type !== undefined) && !/^application\/json\s*(;|$)/i.test(type ?? ''))
    return reject(res, 415, 'request bodies must be JSON (Content-Type: application/json)', 'Unsupported Media Type');
  if (length > BODY_LIMIT_BYTES)
    return reject(res, 413, `request body larger than ${BODY_LIMIT_BYTES} bytes`, 'Payload Too Large');
  next();
}

/** Security headers (helmet), no X-Powered-By, JSON-only bodies with a size limit. Call before routes. */
export function harden(app: NestExpressApplication): void {
  app.disable('x-powered-by');
  app.use(
    helmet({
      // Served over plain HTTP on loopback as often as behind TLS: never rewrite its own URLs to https.
      contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null } },
    }),
  );
  app.use(jsonOnly);
  app.useBodyParser('json', { limit: BODY_LIMIT_BYTES });
}
