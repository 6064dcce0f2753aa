/**
 * Connection URLs checked as far as can be done offline: the scheme, a host (no spaces), a port in
 * 1-65535, and for Redis a numeric database. Parsed with WHATWG URL after a manual split of the
 * authority (the user-info ends at the last `@`, as pg reads it), so every refusal says which part
 * is wrong instead of "Invalid URL".
 */
import { z } from 'zod';

interface UrlRules {
  schemes: string[];
  label: string;
  /** Redis: the path is empty or a database number. */
  redisDatabase?: boolean;
  /** Postgres: the host may come from a `host=` query parameter (a Unix socket directory). */
  hostInQuery?: boolean;
  /**
   * http(s): a WHATWG "special" scheme, read by its clients with `new URL(text)` as it is — where `\`
   * ends the authority like `/`, so the split here must agree, and the whole text must parse.
   */
  special?: boolean;
}

function authorityEnd(text: string, from: number, special: boolean): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '/' || c === '?' || c === '#' || (special && c === '\\')) return i;
  }
  return text.length;
}

/** What is wrong with `text` as a URL of these rules, or undefined when it is fine. */
export function urlProblem(text: string, rules: UrlRules): string | undefined {
  const expected = `${rules.label} like ${rules.schemes[0]}://host:port`;
  const sep = text.indexOf('://');
  const scheme = sep < 0 ? '' : text.slice(0, sep).toLowerCase();
  if (!rules.schemes.includes(scheme)) return `expected ${expected}`;
  // The user-info ends at the last `@` before the path; the host and port follow it.
  const end = authorityEnd(text, sep + 3, rules.special === true);
  const at = text.lastIndexOf('@', end - 1);
  const hostPort = text.slice(at > sep ? at + 1 : sep + 3, end);
  const query = text.indexOf('?', end);
  const hostFromQuery = rules.hostInQuery && query >= 0 && text.slice(query).includes('host=');
  let host = hostPort;
  let port: string | undefined;
  const bracket = hostPort.startsWith('[') ? hostPort.indexOf(']') : -1;
  const colon = hostPort.lastIndexOf(':');
  if (colon > bracket) {
    host = hostPort.slice(0, colon);
    port = hostPort.slice(colon + 1);
  }
  if (host === '' && !hostFromQuery) return `expected ${expected} with a host, found none`;
  for (const c of host) {
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') return `expected ${expected} with a host without spaces`;
  }
  if (port !== undefined) {
    const valid = port.length > 0 && port.length <= 5 && [...port].every((c) => c >= '0' && c <= '9');
    const n = valid ? Number(port) : NaN;
    if (!(n >= 1 && n <= 65535))
      return `expected ${expected} with a port from 1 to 65535, found port "${port.slice(0, 12)}"`;
  }
  let parsed: URL;
  try {
    parsed = new URL(`${scheme}://${hostPort || 'localhost'}${text.slice(end)}`);
  } catch {
    return `expected ${expected}: the URL does not parse (check for characters that must be percent-encoded)`;
  }
  if (rules.special) {
    // what the client will do with the text itself (user-info and all) must work too
    let whole: URL | undefined;
    try {
      whole = new URL(text);
    } catch {
      whole = undefined;
    }
    if (!whole || whole.hostname === '')
      return `expected ${expected}: the URL does not parse as a whole (check the user-info and characters that must be percent-encoded)`;
  }
  if (rules.redisDatabase) {
    const db = parsed.pathname.replace(/^\//, '');
    const numeric = db.length <= 9 && [...db].every((c) => c >= '0' && c <= '9');
    if (db !== '' && !numeric)
      return `expected ${expected} with a database number as path (like /0), found "/${db.slice(0, 20)}"`;
  }
  return undefined;
}

export function urlSchema(rules: UrlRules) {
  return z.string().superRefine((text, ctx) => {
    const problem = urlProblem(text, rules);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

export const postgresUrl = urlSchema({
  schemes: ['postgres', 'postgresql'],
  label: 'a postgres:// URL',
  hostInQuery: true,
});
export const redisUrl = urlSchema({ schemes: ['redis', 'rediss'], label: 'a redis:// URL', redisDatabase: true });
export const httpUrl = urlSchema({ schemes: ['http', 'https'], label: 'an http(s):// URL', special: true });
