/**
 * CPU time (user + system, ms) this process has used since it started: logged with a role's "started"
 * line, so a cold start's cost (module loading, preflight, opening the sinks) reads from the log.
 */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return Math.round((user + system) / 1000);
}
