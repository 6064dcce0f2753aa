/**
 * Is `text` a decimal number as PostgreSQL and JSON write them (`-12`, `3.`, `.5`, `1.5e-7`)? One
 * forward scan: row values can be megabytes long, and the equivalent regular expression
 * (`\d+\.?\d*`) backtracks quadratically on a long run of digits followed by anything else.
 */
export function isNumericText(text: string): boolean {
  let i = 0;
  const n = text.length;
  const digit = (at: number): boolean => at < n && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57;
  if (text[i] === '+' || text[i] === '-') i++;
  let mantissaDigits = 0;
  while (digit(i)) {
    i++;
    mantissaDigits++;
  }
  if (text[i] === '.') {
    i++;
    while (digit(i)) {
      i++;
      mantissaDigits++;
    }
  }
  if (mantissaDigits === 0) return false;
  if (text[i] === 'e' || text[i] === 'E') {
    i++;
    if (text[i] === '+' || text[i] === '-') i++;
    if (!digit(i)) return false;
    while (digit(i)) i++;
  }
  return i === n;
}
