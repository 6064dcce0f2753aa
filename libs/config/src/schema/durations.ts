import { z } from 'zod';

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNITS;

/** Node timers hold at most 2^31-1 ms (24.8 days); longer ones fire after 1 ms. Timer durations stop at 24 days. */
export const MAX_TIMER_MS = 24 * UNITS.d;
/** Ages (retention, TTLs, tombstones) are compared with clocks, not timers: up to 10 years. */
export const MAX_AGE_MS = 3650 * UNITS.d;

/** "500ms" → 500; undefined when the text is not a duration. Linear scan, no pattern. */
export function durationMs(text: string): number | undefined {
  let digits = 0;
  while (digits < text.length && text.charCodeAt(digits) >= 48 && text.charCodeAt(digits) <= 57) digits++;
  if (digits === 0 || digits > 15) return undefined;
  const unit = text.slice(digits);
  if (!Object.hasOwn(UNITS, unit)) return undefined;
  return Number(text.slice(0, digits)) * UNITS[unit as Unit];
}

export function parseDuration(text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new Error(`not a duration: ${text}`);
  return ms;
}

function describeMax(ms: number): string {
  return ms % UNITS.d === 0 ? `${ms / UNITS.d}d` : `${ms}ms`;
}

function boundedDuration(max: number, what: string) {
  const bounds = `at most ${describeMax(max)}${what}`;
  return z
    .union([
      z.number().int().nonnegative().max(max, `milliseconds, ${bounds}`),
      z.string().regex(/^\d{1,15}(ms|s|m|h|d)$/, `a duration like 500ms, 10s, 10m, 24h or 7d (${bounds})`),
    ])
    .transform((value) => (typeof value === 'number' ? value : parseDuration(value)))
    .refine((ms) => ms <= max, `a duration of ${bounds}`);
}

/** A duration a timer waits for: "500ms", "10s", "10m", "24h", "7d" or milliseconds; at most 24 days. */
export const duration = boundedDuration(MAX_TIMER_MS, ', the longest timer Node runs');

/** An age compared with clocks (retention, TTLs): at most 10 years. */
export const ageDuration = boundedDuration(MAX_AGE_MS, '');
