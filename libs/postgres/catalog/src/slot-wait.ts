import type { Pool } from 'pg';

export interface OutsideWait {
  /** What the connector waits for, in words. */
  what: string;
  /** ISO time the wait began. */
  since: string;
  /** The oldest transactions it waits for (at most 5). */
  blockers: { pid: number; database: string | null; state: string | null; xactStart: string }[];
}

const BLOCKERS = `
  SELECT pid, datname AS database, state, xact_start::text AS xact_start
    FROM pg_stat_activity
   WHERE backend_xid IS NOT NULL
     AND xact_start <= $1::timestamptz
     AND pid <> pg_backend_pid()
     AND query NOT ILIKE '%CREATE_REPLICATION_SLOT%'
     AND query NOT ILIKE '%pg_create_logical_replication_slot%'
   ORDER BY xact_start
   LIMIT 5`;

/**
 * Creating a logical slot waits until every transaction that holds a transaction ID somewhere in the
 * cluster (any database) at that moment has ended: on a busy or careless database (an idle-in-
 * transaction session) that is minutes, or forever. The connector cannot speed it up, but it must say
 * so: while `work` runs, what it waits for is reported every `everyMs` — the oldest such transactions,
 * with their pid, database, state and start — and cleared when it is done.
 */
export async function reportWhileWaiting<T>(
  pool: Pool,
  what: string,
  work: Promise<T>,
  report: (wait: OutsideWait | undefined) => void | Promise<void>,
  everyMs = 5_000,
): Promise<T> {
  const since = new Date();
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    try {
      const { rows } = await pool.query<{
        pid: number;
        database: string | null;
        state: string | null;
        xact_start: string;
      }>(BLOCKERS, [since.toISOString()]);
      if (done) return;
      await report({
        what,
        since: since.toISOString(),
        blockers: rows.map((r) => ({ pid: r.pid, database: r.database, state: r.state, xactStart: r.xact_start })),
      });
    } catch {
      // reporting is best effort; the wait itself goes on
    }
    if (!done) timer = setTimeout(() => void tick(), everyMs);
  };
  timer = setTimeout(() => void tick(), Math.min(everyMs, 1_000));
  try {
    return await work;
  } finally {
    done = true;
    if (timer) clearTimeout(timer);
    await report(undefined);
  }
}

/** One line for logs and status: what, since when, and the oldest blockers. */
export function describeWait(wait: OutsideWait): string {
  const blockers = wait.blockers
    .map((b) => `pid ${b.pid}${b.database ? ` on ${b.database}` : ''} (${b.state ?? '?'}) open since ${b.xactStart}`)
    .join(', ');
  return `${wait.what} since ${wait.since}${blockers ? `: waiting for ${blockers}` : ''}`;
}
