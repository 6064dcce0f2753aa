/** Readiness reflects real dependencies: each component registers a check that pings what it needs. */
export type HealthCheck = () => Promise<void>;

export interface HealthReport {
  status: 'ok' | 'failing';
  checks: Record<string, { ok: boolean; error?: string }>;
}

export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  unregister(name: string): void {
    this.checks.delete(name);
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
          results[name] = { ok: false, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    return { status: Object.values(results).every((r) => r.ok) ? 'ok' : 'failing', checks: results };
  }
}

export const health = new HealthRegistry();
