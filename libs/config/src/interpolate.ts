/**
 * `${VAR}`, `${VAR:-default}` and `${file:/path/to/secret}` references in configuration values.
 * `$${…}` is a literal `${…}`. Values read from files, and from variables whose name looks secret,
 * are marked secret so that error messages never print them.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** YAML forbids `{` and `}` in plain scalars inside flow collections (`{ url: ${PG_URL} }`); before
 * parsing, references get their braces swapped for private-use characters of the same length, so
 * line and column numbers stay exact. */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const REFERENCE_IN_TEXT = /\$\{([^{}\n]*)\}/g;
const MASKED_REFERENCE = new RegExp(`(\\$?)\\$${OPEN}([^${OPEN}${CLOSE}]*)${CLOSE}`, 'g');
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Variables whose value is a secret by name (ES_API_KEY, PG_PASSWORD, …); their values are redacted
// everywhere as literals, so a name merely containing "key" (CACHE_KEY_PREFIX) does not count.
const SECRET_NAME = /(password|passwd|secret|token|credential|api_?key|private_?key|access_?key)/i;

/** Only well-formed references: used when the lenient masking left the YAML unparsable (a malformed
 * `${VAR }` swallowed the `}` that closes a flow mapping). */
const STRICT_REFERENCE_IN_TEXT = /\$\{(file:[^{}\n]*|[A-Za-z_][A-Za-z0-9_]*(?::-[^{}\n]*)?)\}/g;

export function maskReferences(text: string, strict = false): string {
  const pattern = strict ? STRICT_REFERENCE_IN_TEXT : REFERENCE_IN_TEXT;
  const masked = text.replace(pattern, (_m, inner: string) => `$${OPEN}${inner}${CLOSE}`);
  // What is left of `${` is unterminated: masked too, so YAML still parses (even inside a flow
  // mapping) and interpolation reports it with its path.
  return masked.includes('${') ? masked.split('${').join(`$${OPEN}`) : masked;
}

/** Undoes maskReferences in a string that was not interpolated (e.g. in a message). */
export function unmaskReferences(text: string): string {
  return text.split(OPEN).join('{').split(CLOSE).join('}');
}

export interface InterpolationContext {
  env: Record<string, string | undefined>;
  /** Directory that relative `${file:…}` paths are resolved against. */
  baseDir: string;
}

export type Interpolated =
  { ok: true; value: string; secret: boolean; wholeReference: boolean } | { ok: false; message: string };

/** Resolves every reference in a (masked) string value. */
export function interpolate(masked: string, ctx: InterpolationContext): Interpolated {
  let secret = false;
  let failure: string | undefined;
  let references = 0;
  const value = masked.replace(MASKED_REFERENCE, (_m, escape: string, inner: string) => {
    if (escape) return `\${${inner}}`;
    references++;
    const resolved = resolveReference(inner, ctx);
    if (!resolved.ok) {
      failure ??= resolved.message;
      return '';
    }
    secret ||= resolved.secret;
    return resolved.value;
  });
  if (failure === undefined && value.includes(`$${OPEN}`)) {
    failure = 'expected a reference like ${NAME} closed by "}", found an unterminated "${"';
  }
  if (failure !== undefined) return { ok: false, message: failure };
  const wholeReference = references === 1 && /^\$\uE000[^\uE000\uE001]*\uE001$/.test(masked);
  return { ok: true, value: unmaskReferences(value), secret, wholeReference };
}

function resolveReference(
  inner: string,
  ctx: InterpolationContext,
): { ok: true; value: string; secret: boolean } | { ok: false; message: string } {
  if (inner.startsWith('file:')) {
    const path = inner.slice('file:'.length).trim();
    if (!path) return { ok: false, message: 'expected ${file:/path/to/secret}, found an empty path' };
    const full = isAbsolute(path) ? path : resolve(ctx.baseDir, path);
    try {
      return { ok: true, value: readFileSync(full, 'utf8').replace(/\r?\n$/, ''), secret: true };
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return { ok: false, message: `secret file ${full} cannot be read (${reason})` };
    }
  }
  const separator = inner.indexOf(':-');
  const name = separator < 0 ? inner : inner.slice(0, separator);
  if (!VARIABLE.test(name)) {
    return {
      ok: false,
      message: `expected a reference like \${NAME}, \${NAME:-default} or \${file:/path}, found "\${${inner}}"`,
    };
  }
  const fromEnv = ctx.env[name];
  if (fromEnv !== undefined && fromEnv !== '') return { ok: true, value: fromEnv, secret: SECRET_NAME.test(name) };
  if (separator >= 0) return { ok: true, value: inner.slice(separator + 2), secret: false };
  return {
    ok: false,
    message: `environment variable ${name} is not set (set it, or give a default: \${${name}:-value})`,
  };
}
