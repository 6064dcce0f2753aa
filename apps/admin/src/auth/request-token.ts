import type { IncomingMessage } from 'node:http';

/** Cookie the dashboard sets at login, so EventSource (which cannot send headers) and the API docs
 *  page can authenticate. Honoured only there (GET /api/events/*, /api/docs, /api/openapi.json);
 *  every other route needs the Authorization header. */
export const TOKEN_COOKIE = 'distributary_token';

export function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

export function cookieToken(request: IncomingMessage): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === TOKEN_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim()) || undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The token a request presents: the bearer header, or — when `cookie` is allowed (server-sent events
 *  and the API docs, which cannot send headers) and the request is a GET/HEAD — the cookie. */
export function presentedToken(request: IncomingMessage, options: { cookie: boolean }): string | undefined {
  const bearer = bearerToken(request);
  if (bearer) return bearer;
  const method = (request.method ?? 'GET').toUpperCase();
  return options.cookie && (method === 'GET' || method === 'HEAD') ? cookieToken(request) : undefined;
}

export function isReadOnly(method: string | undefined): boolean {
  const m = (method ?? 'GET').toUpperCase();
  return m === 'GET' || m === 'HEAD' || m === 'OPTIONS';
}
