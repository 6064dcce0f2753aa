import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdminRole } from '@distributary/config';

/**
 * Bearer tokens of the admin API. Invariant: a presented token is compared against every configured
 * one in constant time (timingSafeEqual over fixed-length SHA-256 digests, no early exit), and the
 * tokens themselves are never returned, logged or echoed — only the role they grant.
 */
export interface AdminToken {
  token: string;
  role: AdminRole;
  /** Who holds it, for the audit log; default "<role>#<position>". */
  name?: string;
}

interface StoredToken {
  digest: Buffer;
  role: AdminRole;
  name: string;
}

export interface TokenIdentity {
  role: AdminRole;
  /** The token's name (never the token). */
  who: string;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export class TokenStore {
  private readonly tokens: StoredToken[];

  constructor(tokens: readonly AdminToken[]) {
    this.tokens = tokens.map((t, i) => ({
      digest: digest(t.token),
      role: t.role,
      name: t.name ?? `${t.role}#${i + 1}`,
    }));
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The role the token grants, or undefined when it matches no configured token. */
  roleOf(presented: string | undefined): AdminRole | undefined {
    return this.identify(presented)?.role;
  }

  /** The role and name of the matching token (the operator one when a token is listed twice). */
  identify(presented: string | undefined): TokenIdentity | undefined {
    if (!presented) return undefined;
    const candidate = digest(presented);
    let found: StoredToken | undefined;
    for (const stored of this.tokens) {
      // No early exit: every comparison runs, whatever matched.
      if (timingSafeEqual(candidate, stored.digest) && found?.role !== 'operator') found = stored;
    }
    return found ? { role: found.role, who: found.name } : undefined;
  }
}

/** Parses DISTRIBUTARY_ADMIN_TOKENS ("viewer:tok1,operator:tok2"). Errors never quote the token. */
export function parseTokenList(text: string | undefined, source = 'DISTRIBUTARY_ADMIN_TOKENS'): AdminToken[] {
  if (!text || !text.trim()) return [];
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, index) => {
      const colon = part.indexOf(':');
      const role = colon < 0 ? '' : part.slice(0, colon);
      const token = colon < 0 ? '' : part.slice(colon + 1);
      if (role !== 'viewer' && role !== 'operator')
        throw new Error(`${source}[${index}]: expected "viewer:<token>" or "operator:<token>"`);
      if (token.length < 8) throw new Error(`${source}[${index}]: the ${role} token must have at least 8 characters`);
      return { token, role };
    });
}
