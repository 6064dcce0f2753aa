/**
 * Secrets never leave the process. Every string shown or logged loses the known secret values
 * (registered when the configuration loads), URL passwords and secret-named parameters; objects
 * lose the values of secret-named fields. All of it is linear in the input: no regular expression
 * runs over the text itself.
 */
import { redactSecretParams, redactUserInfo, REDACTED } from './redact-text';
import { replaceKnownSecrets } from './secret-registry';

export { REDACTED } from './redact-text';

const SECRET_FIELD_SUFFIXES = [
  'password',
  'passwd',
  'secret',
  'token',
  'apikey',
  'api_key',
  'authorization',
  'credential',
  'credentials',
];

/** A field whose value is a secret: its name ends in password, token, secret, … (any case). */
export function isSecretFieldName(name: string): boolean {
  if (name.length > 256) return false;
  const lower = name.toLowerCase();
  return SECRET_FIELD_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

/** Known secrets, URL passwords and `password=` parameters redacted from free text. */
export function redactUrl(value: string): string {
  return redactSecretParams(redactUserInfo(replaceKnownSecrets(value, REDACTED)));
}

/** Deep copy with secrets redacted: fields named like secrets, and secrets inside strings. */
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
      out[k] = isSecretFieldName(k) && v !== undefined && v !== null ? REDACTED : redactSecrets(v);
    }
    return out as T;
  }
  return value;
}
