/** What a redacted secret is replaced with. */
export const REDACTED = '***';

const SECRET_PARAMS = ['password', 'passwd', 'sslpassword', 'secret', 'token', 'apikey', 'api_key', 'access_token'];
const MAX_SCHEME = 32;

function isSchemeChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || // a-z
    (code >= 65 && code <= 90) || // A-Z
    (code >= 48 && code <= 57) || // 0-9
    code === 43 || // +
    code === 46 || // .
    code === 45 // -
  );
}

function isLetter(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
}

/** Characters that end a URL authority in running text. */
function endsAuthority(code: number): boolean {
  return (
    code === 47 || // /
    code === 63 || // ?
    code === 35 || // #
    code === 34 || // "
    code === 39 || // '
    code === 60 || // <
    code === 62 || // >
    code === 96 || // `
    code <= 32 // whitespace and control characters
  );
}

/**
 * `scheme://user:password@` → `scheme://user:***@`, for every URL in free text (error messages, URLs,
 * connection strings). The user-info ends at the LAST `@` of the authority, so an unescaped `@` inside
 * a password (which pg accepts) is redacted whole. Structural, in one forward pass: no regular
 * expression, so the cost is linear in the text whatever it contains.
 */
export function redactUserInfo(text: string): string {
  let out = '';
  let copied = 0; // text[0..copied) is in out
  let from = 0;
  for (;;) {
    const sep = text.indexOf('://', from);
    if (sep < 0) break;
    // The scheme: up to MAX_SCHEME scheme characters before `://`, starting with a letter.
    let start = sep;
    while (start > Math.max(copied, sep - MAX_SCHEME) && isSchemeChar(text.charCodeAt(start - 1))) start--;
    while (start < sep && !isLetter(text.charCodeAt(start))) start++;
    const authorityStart = sep + 3;
    let end = authorityStart;
    let lastAt = -1;
    let colon = -1;
    while (end < text.length && !endsAuthority(text.charCodeAt(end))) {
      const code = text.charCodeAt(end);
      if (code === 64)
        lastAt = end; // @
      else if (code === 58 && colon < 0) colon = end; // the first `:` separates user and password
      end++;
    }
    if (start < sep && lastAt > 0) {
      if (colon >= 0 && colon < lastAt) {
        out += text.slice(copied, colon + 1) + REDACTED;
        copied = lastAt;
      }
    }
    from = Math.max(end, sep + 3);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

function isWordChar(code: number): boolean {
  return isLetter(code) || (code >= 48 && code <= 57) || code === 95;
}

/** Ends a parameter value: & ; whitespace, quotes, # and the brackets that close a URL in text. */
function endsValue(code: number): boolean {
  return code === 38 || code === 35 || code === 34 || code === 39 || code === 59 || code === 62 || code <= 32;
}

/**
 * `password=…` / `token=…` (and other secret-named parameters) values in query strings and libpq
 * `key=value` connection strings. One forward pass, no regular expression: linear in the text.
 */
export function redactSecretParams(text: string): string {
  const lower = text.toLowerCase();
  if (!lower.includes('=')) return text;
  // Positions of value starts to redact, found per parameter name with indexOf (linear per name).
  const ranges: [number, number][] = [];
  for (const name of SECRET_PARAMS) {
    const needle = `${name}=`;
    let at = lower.indexOf(needle);
    while (at >= 0) {
      const before = at > 0 ? lower.charCodeAt(at - 1) : 32;
      let next = at + needle.length;
      if (!isWordChar(before)) {
        const valueStart = next;
        while (next < text.length && !endsValue(text.charCodeAt(next))) next++;
        if (next > valueStart) ranges.push([valueStart, next]);
      }
      // Searching on after the value keeps this linear (a value is never scanned twice).
      at = lower.indexOf(needle, next);
    }
  }
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let copied = 0;
  for (const [startAt, endAt] of ranges) {
    if (startAt < copied) continue;
    out += text.slice(copied, startAt) + REDACTED;
    copied = endAt;
  }
  return out + text.slice(copied);
}
