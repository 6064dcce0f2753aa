/** Secrets never leave the process: URLs lose their password, secret-looking fields their value. */
const SECRET_FIELD = /(password|passwd|secret|token|apikey|api_key|authorization|credentials?)$/i;
export const REDACTED = '***';

export function redactUrl(value: string): string {
  // Anywhere in the text (URLs inside error messages too): scheme://user:password@ → scheme://user:***@
  return value.replace(
    /([a-z][a-z0-9+.-]*:\/\/)([^@/\s:]*):([^@/\s]*)@/gi,
    (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`,
  );
}

/** Deep copy with secrets redacted: fields named like secrets, and passwords inside URLs. */
export function redactSecrets<T>(value: T): T {
  if (typeof value === 'string') return redactUrl(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v)) as T;
  if (value instanceof Error) {
    // Error fields are not enumerable: keep name, message, stack and cause visible (redacted) in logs.
    const { name, message, stack } = value;
    const extra = Object.fromEntries(Object.entries(value));
    return redactSecrets({ name, message, stack, ...extra, cause: value.cause }) as T;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_FIELD.test(k) && v !== undefined && v !== null ? REDACTED : redactSecrets(v);
    }
    return out as T;
  }
  return value;
}
