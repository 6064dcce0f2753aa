/**
 * PostgreSQL date/time text (DateStyle ISO) → ISO-8601. BC years become astronomical years (1 BC is
 * 0000, 44 BC is -0043), years past 9999 get a '+'; 'infinity' and '-infinity' stay as they are.
 * timestamptz is normalised to UTC ('Z'), so the same instant reads the same whichever TimeZone the
 * session that produced it had; fractional seconds keep PostgreSQL's digits.
 */
const DATE_TIME =
  /^(\d{4,})-(\d\d)-(\d\d)(?: (\d\d):(\d\d):(\d\d)(\.\d+)?)?(?:([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?)?( BC)?$/;

export function isoYear(year: number): string {
  if (year < 0) return `-${String(-year).padStart(4, '0')}`;
  if (year > 9999) return `+${year}`;
  return String(year).padStart(4, '0');
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  fraction: string;
  offsetSeconds: number | undefined;
}

function parts(text: string): Parts | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om, os, bc] = m;
  const written = Number(y);
  const offset = sign
    ? (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0)) * (sign === '-' ? -1 : 1)
    : undefined;
  return {
    year: bc ? 1 - written : written,
    month: Number(mo),
    day: Number(d),
    hour: Number(h ?? 0),
    minute: Number(mi ?? 0),
    second: Number(s ?? 0),
    fraction: fraction ?? '',
    offsetSeconds: offset,
  };
}

const two = (n: number): string => String(n).padStart(2, '0');

function format(p: Omit<Parts, 'offsetSeconds'>, zone: string): string {
  return `${isoYear(p.year)}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${p.fraction}${zone}`;
}

/** timestamp without time zone: '2024-01-02 03:04:05.5' → '2024-01-02T03:04:05.5'. */
export function isoTimestamp(text: string): string {
  const p = parts(text);
  return p ? format(p, '') : text;
}

/** timestamptz: '2024-01-02 03:04:05+02' → '2024-01-02T01:04:05Z'. */
export function isoTimestampTz(text: string): string {
  const p = parts(text);
  if (!p) return text;
  if (!p.offsetSeconds) return format(p, 'Z');
  const utc = new Date(0);
  utc.setUTCFullYear(p.year, p.month - 1, p.day);
  utc.setUTCHours(p.hour, p.minute, p.second - p.offsetSeconds, 0);
  const shifted = {
    year: utc.getUTCFullYear(),
    month: utc.getUTCMonth() + 1,
    day: utc.getUTCDate(),
    hour: utc.getUTCHours(),
    minute: utc.getUTCMinutes(),
    second: utc.getUTCSeconds(),
    fraction: p.fraction,
  };
  return format(shifted, 'Z');
}

/** date: '0044-03-15 BC' → '-0043-03-15'. */
export function isoDate(text: string): string {
  const p = parts(text);
  return p ? `${isoYear(p.year)}-${two(p.month)}-${two(p.day)}` : text;
}
