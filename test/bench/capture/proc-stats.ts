import { readFileSync } from 'node:fs';

/** CPU time (user + system, µs) a process has used so far, from /proc/<pid>/stat; undefined once gone. */
export function cpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return (ticks * 1_000_000) / 100; // USER_HZ = 100 on Linux
  } catch {
    return undefined;
  }
}

/** Time at which `count` of `total` had arrived, linearly interpolated in a (ms, count) timeline. */
export function timeAt(timeline: [number, number][], count: number): number | undefined {
  for (let i = 0; i < timeline.length; i++) {
    const [t, n] = timeline[i];
    if (n < count) continue;
    if (i === 0) return t;
    const [t0, n0] = timeline[i - 1];
    return t0 + ((t - t0) * (count - n0)) / Math.max(1, n - n0);
  }
  return undefined;
}

/** Events per second between two shares (0..1) of `total` in the timeline. */
export function rateBetween(timeline: [number, number][], total: number, from: number, to: number): number {
  const start = timeAt(timeline, from * total);
  const end = timeAt(timeline, to * total);
  if (start === undefined || end === undefined || end <= start) return 0;
  return Math.round(((to - from) * total * 1000) / (end - start));
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Current and peak resident set size (VmRSS, VmHWM; bytes) of a process; undefined once gone. */
export function memory(pid: number): { rssBytes: number; peakBytes: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    return { rssBytes: kb('VmRSS') * 1024, peakBytes: kb('VmHWM') * 1024 };
  } catch {
    return undefined;
  }
}
