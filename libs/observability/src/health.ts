/** Readiness reflects real dependencies: each component registers a check that pings what it needs. */
export type HealthCheck = () => Promise<void>;

/**
 * `degraded`: every dependency answers, but something only slows or holds data (a sink partition
 * retrying longer than its bound); still ready (HTTP 200, so probes keep the pod and its metrics in
 * service), with the reason in the check's `error`. `failing`: a dependency is down (HTTP 503).
 */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'failing';
  checks: Record<string, { ok: boolean; error?: string; degraded?: boolean }>;
}

export interface HealthCheckOptions {
  /** A failure of this check makes the report `degraded`, not `failing`. */
  degradesOnly?: boolean;
}

export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly degradesOnly = new Set<string>();
  /** Checks answered by other processes (the sibling roles of `run`: process-group.ts). */
  private remote?: () => Promise<HealthReport['checks']>;

  setRemote(remote: (() => Promise<HealthReport['checks']>) | undefined): void {
    this.remote = remote;
  }

  register(name: string, check: HealthCheck, options: HealthCheckOptions = {}): void {
    this.checks.set(name, check);
    if (options.degradesOnly) this.degradesOnly.add(name);
    else this.degradesOnly.delete(name);
  }

  unregister(name: string): void {
    this.checks.delete(name);
    this.degradesOnly.delete(name);
  }

  async report(timeoutMs = 2000): Promise<HealthReport> {
    const results: HealthReport['checks'] = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs),
            ),
          ]);
          results[name] = { ok: true };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          results[name] = this.degradesOnly.has(name)
            ? { ok: false, degraded: true, error: message }
            : { ok: false, error: message };
        }
      }),
    );
    if (this.remote) await this.addRemote(this.remote, results, timeoutMs);
    const failed = Object.values(results).filter((r) => !r.ok);
    const status = failed.length === 0 ? 'ok' : failed.every((r) => r.degraded) ? 'degraded' : 'failing';
    return { status, checks: results };
  }

  private async addRemote(
    remote: () => Promise<HealthReport['checks']>,
    results: HealthReport['checks'],
    timeoutMs: number,
  ): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const checks = await Promise.race([
        remote(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      for (const [name, check] of Object.entries(checks)) results[name in results ? `peer/${name}` : name] = check;
    } catch (error) {
      results.peers = { ok: false, error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

export const health = new HealthRegistry();
