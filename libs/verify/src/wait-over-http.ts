import type { SinkProgress } from './sink-progress';

export interface SinkWaitResult extends SinkProgress {
  timedOut: boolean;
}

/**
 * Read-your-writes from an application: after committing to PostgreSQL, take
 * `SELECT pg_current_wal_lsn()` (or the LSN of your commit) and call this before reading the derived
 * store. Resolves once the sink has applied everything up to `lsn`; on timeout resolves with
 * `applied: false, timedOut: true` and the sink's current position.
 */
export async function waitForSinkOverHttp(
  adminUrl: string,
  token: string,
  sink: string,
  lsn: string,
  { timeoutMs = 5000 }: { timeoutMs?: number } = {},
): Promise<SinkWaitResult> {
  const url = new URL(`/api/sinks/${encodeURIComponent(sink)}/wait`, adminUrl);
  url.searchParams.set('lsn', lsn);
  url.searchParams.set('timeoutMs', String(timeoutMs));
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(timeoutMs + 10_000),
  });
  const body = (await response.json()) as SinkWaitResult | { message?: string };
  if (!response.ok) {
    const message = 'message' in body && body.message ? body.message : response.statusText;
    throw new Error(`waiting for sink ${sink} at ${lsn}: HTTP ${response.status}: ${message}`);
  }
  return body as SinkWaitResult;
}
