/**
 * The secret values of a configuration, collected when it loads so that redaction can replace them as
 * literal strings everywhere (logs, errors, status, the admin API): interpolated secrets, values of
 * secret-named fields (password, token, …), and URL credentials — parsed with WHATWG URL and, for
 * what URL refuses or reads differently (an unescaped `@` in a password, which pg accepts), by a
 * tolerant manual split of the user-info — plus secret-named query parameters (`?password=…`).
 */
import { isSecretFieldName, registerSecrets } from '@distributary/observability';

const MAX_AT_SIGNS = 16;

/** Every credential a URL may carry, in the spellings it may be printed in. */
export function urlCredentials(url: string): string[] {
  const found: string[] = [];
  const sep = url.indexOf('://');
  if (sep < 0) return found;
  try {
    const parsed = new URL(url);
    if (parsed.password) found.push(parsed.password);
    for (const [name, value] of parsed.searchParams) if (isSecretFieldName(name) && value) found.push(value);
  } catch {
    // not a WHATWG URL; the manual split below still finds its credentials
  }
  const rest = url.slice(sep + 3);
  // User-info candidates: up to each `@` (the last one is what pg uses; earlier ones may be the real
  // split for other clients). A password is what follows the first `:`.
  let at = rest.indexOf('@');
  for (let n = 0; at >= 0 && n < MAX_AT_SIGNS; n++) {
    const userInfo = rest.slice(0, at);
    const colon = userInfo.indexOf(':');
    if (colon >= 0 && !userInfo.slice(0, colon).includes('/')) found.push(userInfo.slice(colon + 1));
    at = rest.indexOf('@', at + 1);
  }
  const query = rest.indexOf('?');
  if (query >= 0) {
    for (const pair of rest.slice(query + 1).split(/[&#]/)) {
      const eq = pair.indexOf('=');
      if (eq > 0 && isSecretFieldName(pair.slice(0, eq)) && eq < pair.length - 1) found.push(pair.slice(eq + 1));
    }
  }
  return found;
}

/** Secret values anywhere in a (raw or validated) configuration value. */
export function collectSecrets(value: unknown, extra: Iterable<string> = []): string[] {
  const found = [...extra];
  const visit = (node: unknown, secretField: boolean): void => {
    if (typeof node === 'string') {
      if (secretField) found.push(node);
      if (node.includes('://')) found.push(...urlCredentials(node));
    } else if (Array.isArray(node)) {
      for (const item of node) visit(item, secretField);
    } else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) visit(child, secretField || isSecretFieldName(key));
    }
  };
  visit(value, false);
  return found;
}

/** Collects and registers the secrets of a configuration with the process-wide redaction. */
export function registerConfigSecrets(value: unknown, extra: Iterable<string> = []): void {
  registerSecrets(collectSecrets(value, extra));
}
