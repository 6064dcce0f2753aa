import type { ClientBase, Pool, PoolClient } from 'pg';
import { RetryableError } from '@distributary/core';
import { silentLogger, type Logger } from '@distributary/observability';
import { inTransaction } from './read-only';

export interface VisibleSnapshotOptions {
  /** `READ ONLY` (default true). */
  readOnly?: boolean;
  /** How long to wait for committed-but-invisible transactions before giving up (default 10 s). */
  maxWaitMs?: number;
  logger?: Logger;
}

/**
 * Backends (`pid:xid`) holding an xid: waiting for the synchronous standby's ack (only a commit waits
 * there), waiting to write/flush WAL (a commit may be flushing its record), and all of them.
 */
const COMMITTING_SQL = `SELECT coalesce(string_agg(a.pid || ':' || a.backend_xid, ',')
           FILTER (WHERE a.wait_event_type = 'IPC' AND a.wait_event = 'SyncRep'), '') AS syncrep,
       coalesce(string_agg(a.pid || ':' || a.backend_xid, ',')
           FILTER (WHERE (a.wait_event_type = 'IO' AND a.wait_event IN ('WALSync', 'WALWrite'))
                      OR (a.wait_event_type = 'LWLock' AND a.wait_event = 'WALWrite')), '') AS flushing,
       coalesce(string_agg(a.pid || ':' || a.backend_xid, ','), '') AS holding,
       (SELECT count(*) FROM pg_stat_get_activity(NULL) h
         WHERE h.query = '<insufficient privilege>' AND h.usesysid IS NOT NULL)::text AS hidden
  FROM pg_stat_get_activity(NULL) a
 WHERE a.backend_xid IS NOT NULL AND a.pid <> pg_backend_pid()`;

interface Backends {
  syncrep: string[];
  flushing: string[];
  holding: string[];
  hidden: number;
}

const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 200;
/** Waits shorter than this (a WAL flush) are not worth a warning; a synchronous standby's always is. */
const WARN_AFTER_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let warnedHidden = false;

/** Text columns only, so this reads the same through a raw-text pool (createRawTextPool) as through any other. */
async function backends(client: ClientBase, logger: Logger): Promise<Backends> {
  const {
    rows: [row],
  } = await client.query<Record<keyof Backends, string>>({
    name: 'distributary_committing_backends',
    text: COMMITTING_SQL,
  });
  const list = (text: string) => (text === '' ? [] : text.split(','));
  const hidden = Number(row.hidden);
  if (hidden > 0 && !warnedHidden) {
    warnedHidden = true;
    logger.warn(
      { hidden },
      'source snapshots: this role cannot see every backend in pg_stat_activity (grant pg_read_all_stats), so a snapshot may miss commits still waiting for a synchronous standby',
    );
  }
  return { syncrep: list(row.syncrep), flushing: list(row.flushing), holding: list(row.holding), hidden };
}

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
 * Commits that start waiting after the first query were not in the log when the caller asked. (The
 * check runs before BEGIN, not as the transaction's first statement: read after the snapshot was
 * taken, pg_stat_activity could no longer show a backend that left in between, visible or not.)
 *
 * Backends with an xid waiting to write/flush WAL (IO WALSync/WALWrite, LWLock WALWrite) are waited
 * for too: a commit record already in the WAL before a position the caller holds (an incremental
 * snapshot's low watermark, emitted without a flush) may still be being flushed.
 *
 * Not covered: a committing backend caught running on the CPU between those waits (microseconds: no
 * wait event shows it; for the sinks its commit would also have to be decoded, logged and read back
 * meanwhile). The role must see other roles' backends in pg_stat_activity (superuser,
 * pg_read_all_stats / pg_monitor): backends it cannot see are reported once as a warning, since the
 * check is then blind to them.
 * Cost: one query per snapshot (pg_stat_get_activity, the function under pg_stat_activity without its
 * joins, as a named prepared statement): measured ~0.28 ms more per snapshot on the local stack
 * (max_connections 300; PostgreSQL copies every backend slot's status once per transaction).
 *
 * Begins a REPEATABLE READ transaction on `client` whose snapshot sees every transaction whose commit
 * was durable (so possibly decoded and logged) when this was called. On return the transaction is open
 * (the caller commits or rolls it back); on a throw none is open. Returns how many times it waited.
 *
 * A backend seen waiting on SyncRep is waited for until it no longer holds that xid (it left the proc
 * array); one seen in a WAL wait, while it is in a WAL or SyncRep wait (a long transaction writing WAL
 * is not waited for to its end, only past the wait).
 */
export async function beginVisibleSnapshot(client: ClientBase, options: VisibleSnapshotOptions = {}): Promise<number> {
  const logger = options.logger ?? silentLogger;
  const maxWaitMs = options.maxWaitMs ?? 10_000;
  const startedAt = Date.now();
  let now = await backends(client, logger);
  const synced = new Set(now.syncrep);
  let waiting = [...new Set([...now.syncrep, ...now.flushing])];
  let backoff = FIRST_BACKOFF_MS;
  let waits = 0;
  let warned = false;
  while (waiting.length > 0) {
    const waited = Date.now() - startedAt;
    const xids = waiting.map((w) => w.slice(w.indexOf(':') + 1));
    const what = `transaction(s) ${xids.join(', ')} committed (durable, possibly already in the log) but are not yet visible to new snapshots: their backends are still committing (flushing WAL, or waiting for a synchronous standby — synchronous_standby_names — which may be slow or missing)`;
    if (waited >= maxWaitMs)
      throw new RetryableError(`source snapshot would be behind the WAL after ${waited} ms: ${what}`);
    if (!warned && (waited >= WARN_AFTER_MS || waiting.some((w) => synced.has(w)))) {
      warned = true;
      logger.warn({ xids }, `source snapshot delayed: ${what}`);
    }
    await sleep(Math.min(backoff, Math.max(1, maxWaitMs - waited)));
    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    waits++;
    now = await backends(client, logger);
    for (const w of now.syncrep) synced.add(w);
    const committing = new Set([...now.syncrep, ...now.flushing]);
    const holding = new Set(now.holding);
    waiting = waiting.filter((w) => committing.has(w) || (synced.has(w) && holding.has(w)));
  }
  await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ${options.readOnly === false ? '' : ' READ ONLY'}`);
  return waits;
}

/** Runs `work` in a visible REPEATABLE READ snapshot (beginVisibleSnapshot) on a connection of `pool`. */
export function inVisibleSnapshot<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  options: VisibleSnapshotOptions = {},
): Promise<T> {
  return inTransaction(pool, (client) => beginVisibleSnapshot(client, options), work);
}
