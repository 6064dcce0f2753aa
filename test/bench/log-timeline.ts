/**
 * When a child process first logged each of some messages (its JSON log lines, `time` ISO and
 * `msg`), in seconds from `startedAtMs`: the stages of a run read from the processes' own clocks.
 */
export function logTimeline(output: string, messages: readonly string[], startedAtMs: number): Map<string, number> {
  const wanted = new Set(messages);
  const found = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { time?: unknown; msg?: unknown };
    try {
      entry = JSON.parse(line) as { time?: unknown; msg?: unknown };
    } catch {
      continue;
    }
    if (typeof entry.msg !== 'string' || !wanted.has(entry.msg) || found.has(entry.msg)) continue;
    const at = typeof entry.time === 'string' ? Date.parse(entry.time) : Number(entry.time);
    if (Number.isFinite(at)) found.set(entry.msg, (at - startedAtMs) / 1000);
  }
  return found;
}

/** A numeric field of the first JSON log line with message `message` (e.g. the `cpuMs` of a "started" line). */
export function loggedNumber(output: string, message: string, field: string): number | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !line.includes(message)) continue;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.msg === message && typeof entry[field] === 'number') return entry[field];
    } catch {
      continue;
    }
  }
  return undefined;
}
