import type { ClientBase, Pool, PoolClient } from 'pg';
import { RetryableError } from '@distributary/core';
import { silentLogger, type Logger } from '@distributary/observability';

/**
 * A REPEATABLE READ snapshot that is not behind the WAL.
 *
 * PostgreSQL makes a commit durable (WAL flushed, clog marked committed) BEFORE it removes the xid
 * from the proc array; with synchronous replication the committing backend waits for the standby's
 * acknowledgement in between (wait event IPC/SyncRep), for as long as the standby takes. Logical
 * decoding sends the commit as soon as it is flushed, so a transaction can be in our log while a
 * snapshot taken now still sees it as in progress. Every path that re-reads the source and orders the
 * result against the log (a sink's re-reads, a lookup cache's floor, an incremental snapshot's chunk
 * between watermarks) assumes "logged implies visible to a new snapshot" — this helper makes it true.
 *
 * The check, measured on PostgreSQL 15 (visible-snapshot.test.ts): in that window the transaction is
 * NOT seen as committed by SQL — `pg_xact_status(xid)` answers 'in progress' (it asks the proc array
 * before clog), and the xid is often not even in the snapshot's xip list (it is >= xmax: xmax only
 * moves when a transaction leaves the proc array). What does show it is pg_stat_activity: the backend
 * holds its xid (backend_xid) while waiting on SyncRep. So, BEFORE the snapshot is taken, one query
 * lists the backends waiting there with an xid; when there are none (the usual case) the
 * REPEATABLE READ transaction begins at once. Otherwise it waits (backoff, bounded, a warning naming
 * the xids) until each of those has left — every commit durable before the call is then visible to a
 * snapshot taken afterwards — and gives up with a RetryableError after `maxWaitMs`.
 * Commits that start waiting after the first query were not in the log when the caller asked.
 *
 * Backends with an xid waiting to write/flush WAL (IO WALSync/WALWrite, LWLock WALWrite) are waited
 * for too: a commit record already in the WAL before a position the caller holds (an incremental
 * snapshot's low watermark, emitted without a flush) may still be being flushed.
 *
 * Not covered: a committing backend caught running on the CPU between those waits (microseconds: no
 * wait event shows it; for the sinks its commit would also have to be decoded, logged and read back
 * meanwhile). The role must
 * see other roles' backends in pg_stat_activity (superuser, pg_read_all_stats / pg_monitor): backends it
 * cannot see are reported once as a warning, since the check is then blind to them.
 * Cost: one query on pg_stat_activity per snapshot.
 */
export interface VisibleSnapshotOptions {
  /** `READ ONLY` (default true). */
  readOnly?: boolean;
  /** How long to wait for committed-but-invisible transactions before giving up (default 10 s). */
  maxWaitMs?: number;
  logger?: Logger;
}

/** Backends with an xid in a commit's waits: WAL flush, then the synchronous standby's ack. */
const COMMITTING_SQL = `SELECT coalesce(array_agg(a.pid || ':' || a.backend_xid ORDER BY a.pid)
           FILTER (WHERE a.backend_xid IS NOT NULL AND (
             (a.wait_event_type = 'IPC' AND a.wait_event = 'SyncRep')
             OR (a.wait_event_type = 'IO' AND a.wait_event IN ('WALSync', 'WALWrite'))
             OR (a.wait_event_type = 'LWLock' AND a.wait_event = 'WALWrite'))),
         '{}') AS committing,
       count(*) FILTER (WHERE a.state = '<insufficient privilege>')::int AS hidden
  FROM pg_stat_activity a
 WHERE a.pid <> pg_backend_pid()`;

const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let warnedHidden = false;

async function committing(client: ClientBase, logger: Logger): Promise<string[]> {
  const {
    rows: [row],
  } = await client.query<{ committing: string[]; hidden: number }>(COMMITTING_SQL);
  if (row.hidden > 0 && !warnedHidden) {
    warnedHidden = true;
    logger.warn(
      { hidden: row.hidden },
      'source snapshots: this role cannot see every backend in pg_stat_activity (grant pg_read_all_stats), so a snapshot may miss commits still waiting for a synchronous standby',
    );
  }
  return row.committing;
}

/**
 * Begins a REPEATABLE READ transaction on `client` whose snapshot sees every transaction whose commit
 * was durable (so possibly decoded and logged) when this was called. On return the transaction is open
 * (the caller commits or rolls it back); on a throw none is open. Returns how many times it waited.
 */
export async function beginVisibleSnapshot(client: ClientBase, options: VisibleSnapshotOptions = {}): Promise<number> {
  const logger = options.logger ?? silentLogger;
  const maxWaitMs = options.maxWaitMs ?? 10_000;
  const startedAt = Date.now();
  let waiting = await committing(client, logger);
  let backoff = FIRST_BACKOFF_MS;
  let waits = 0;
  while (waiting.length > 0) {
    const waited = Date.now() - startedAt;
    const xids = waiting.map((w) => w.slice(w.indexOf(':') + 1));
    const what = `transaction(s) ${xids.join(', ')} committed (durable, possibly already in the log) but are not yet visible to new snapshots: their backends are still committing (flushing WAL, or waiting for a synchronous standby — synchronous_standby_names — which may be slow or missing)`;
    if (waited >= maxWaitMs)
      throw new RetryableError(`source snapshot would be behind the WAL after ${waited} ms: ${what}`);
    if (waits === 0) logger.warn({ xids }, `source snapshot delayed: ${what}`);
    await sleep(Math.min(backoff, Math.max(1, maxWaitMs - waited)));
    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    waits++;
    const still = new Set(await committing(client, logger));
    waiting = waiting.filter((w) => still.has(w));
  }
  await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ${options.readOnly === false ? '' : ' READ ONLY'}`);
  return waits;
}
/** Runs `work` in a visible REPEATABLE READ snapshot (beginVisibleSnapshot) on a connection of `pool`. */
export async function inVisibleSnapshot<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  options: VisibleSnapshotOptions = {},
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await beginVisibleSnapshot(client, options);
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    }
  } catch (error) {
    broken ||= isDead(error);
    throw error;
  } finally {
    client.release(broken);
  }
}

function isDead(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(08|57P)/.test(code);
}
