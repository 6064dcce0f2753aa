/**
 * The secret values this process knows (interpolated secrets, passwords, tokens, URL credentials),
 * registered when the configuration loads. Redaction replaces them as literal strings: linear in the
 * text, whatever the text holds.
 */
const MIN_LENGTH = 4;
const known = new Set<string>();
let ordered: string[] = [];

/** Adds secret values (and their URL-encoded / decoded spellings). Values shorter than 4 characters
 * are not matched literally (they would redact ordinary words); URL and field redaction still apply. */
export function registerSecrets(values: Iterable<string | undefined | null>): void {
  let added = false;
  for (const value of values) {
    if (typeof value !== 'string') continue;
    for (const spelling of spellings(value)) {
      if (spelling.length < MIN_LENGTH || known.has(spelling)) continue;
      known.add(spelling);
      added = true;
    }
  }
  // Longest first, so a secret containing another is replaced whole.
  if (added) ordered = [...known].sort((a, b) => b.length - a.length);
}

/** For tests: forget every registered secret. */
export function clearRegisteredSecrets(): void {
  known.clear();
  ordered = [];
}

/** Every registered spelling: handed to the processes `distributary run` forks, so their logs redact the same. */
export function registeredSecrets(): string[] {
  return [...known];
}

export function registeredSecretCount(): number {
  return known.size;
}

/** Every known secret replaced by `replacement` (split/join: linear, no pattern matching). */
export function replaceKnownSecrets(text: string, replacement: string): string {
  let out = text;
  for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join(replacement);
  return out;
}

function spellings(value: string): string[] {
  const out = [value];
  try {
    out.push(encodeURIComponent(value));
  } catch {
    // lone surrogates cannot be encoded; the raw value is still matched
  }
  try {
    out.push(decodeURIComponent(value));
  } catch {
    // not percent-encoded
  }
  return out;
}
