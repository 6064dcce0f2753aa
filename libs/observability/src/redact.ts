/** Secrets never leave the process: URLs lose their password, secret-looking fields their value. */
const SECRET_FIELD = /(password|passwd|secret|token|apikey|api_key|authorization|credentials?)$/i;
export const REDACTED = '***';

export function redactUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/\s]*)@/i, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon < 0 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`;
  });
}

/** Deep copy with secrets redacted: fields named like secrets, and passwords inside URLs. */
export function redactSecrets<T>(value: T): T {
  if (typeof value === 'string') return redactUrl(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_FIELD.test(k) && v !== undefined && v !== null ? REDACTED : redactSecrets(v);
    }
    return out as T;
  }
  return value;
}
