import type { Pool } from 'pg';

/** A session outside our control that one of our backends waits for. */
export interface WaitBlocker {
  pid: number;
  database: string | null;
  state: string | null;
  backendType: string | null;
  application: string | null;
  /** ISO-ish text of the blocker's transaction start (null when it has none). */
  xactStart: string | null;
}

/** One of our own backends waiting on something PostgreSQL reports (a lock, a synchronous standby). */
export interface BackendWait {
  pid: number;
  backendType: string | null;
  /** pg_stat_activity wait_event_type / wait_event, e.g. Lock / relation, IPC / SyncRep. */
  waitEventType: string;
  waitEvent: string;
  /** Start of our statement (text), which identifies one wait across polls. */
  queryStart: string | null;
  /** The first 120 characters of our own statement, whitespace collapsed. */
  query: string;
  /** For a lock: its type, mode and object (relation name, transaction id). */
  lock: { type: string; mode: string | null; relation: string | null; transactionId: string | null } | null;
  blockers: WaitBlocker[];
  /** For a commit waiting on synchronous replication: the setting, and the standbys connected now. */
  syncStandby: {
    names: string;
    connected: { name: string; state: string | null; syncState: string | null; replayLag: string | null }[];
  } | null;
}

/**
 * What our backends (the given pids, plus whichever walsender holds our slot — creating it, or
 * streaming from it) wait for: heavyweight locks (a table another session holds locked, a transaction
 * a slot creation waits to end, an advisory lock), buffer pins, and commits waiting for a synchronous
 * standby (synchronous_standby_names) or, on PostgreSQL 17+, a walsender waiting for failover-slot
 * standbys (synchronized_standby_slots). Normal idle waits (reading the client, waiting for WAL) are not
 * reported. The blockers are the sessions pg_blocking_pids names, oldest transaction first.
 */
const BACKEND_WAITS_SQL = `
  WITH own AS (
    SELECT unnest($1::int[]) AS pid
     UNION
    SELECT active_pid FROM pg_replication_slots WHERE slot_name = $2 AND active_pid IS NOT NULL
  )
  SELECT a.pid,
         a.backend_type,
         a.wait_event_type,
         a.wait_event,
         a.query_start::text AS query_start,
         left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 120) AS query,
         l.locktype,
         l.mode,
         CASE WHEN l.relation IS NOT NULL THEN l.relation::regclass::text END AS relation,
         l.transactionid::text AS transaction_id,
         coalesce((
           SELECT json_agg(json_build_object(
                    'pid', b.pid, 'database', b.datname, 'state', b.state, 'backendType', b.backend_type,
                    'application', nullif(b.application_name, ''), 'xactStart', b.xact_start::text)
                  ORDER BY b.xact_start NULLS LAST, b.pid)
             FROM pg_stat_activity b
            WHERE b.pid = ANY (pg_blocking_pids(a.pid))
         ), '[]'::json) AS blockers,
         CASE WHEN a.wait_event IN ('SyncRep', 'WaitForStandbyConfirmation') THEN json_build_object(
           'names', CASE WHEN a.wait_event = 'SyncRep' THEN current_setting('synchronous_standby_names', true)
                         ELSE current_setting('synchronized_standby_slots', true) END,
           'connected', coalesce((
             SELECT json_agg(json_build_object('name', r.application_name, 'state', r.state,
                                               'syncState', r.sync_state, 'replayLag', r.replay_lag::text)
                             ORDER BY r.application_name)
               FROM pg_stat_replication r
           ), '[]'::json))
         END AS sync_standby
    FROM pg_stat_activity a
    JOIN own ON own.pid = a.pid
    LEFT JOIN LATERAL (
      SELECT k.locktype, k.mode, k.relation, k.transactionid
        FROM pg_locks k
       WHERE k.pid = a.pid AND NOT k.granted
       LIMIT 1
    ) l ON true
   WHERE a.pid <> pg_backend_pid()
     AND (a.wait_event_type IN ('Lock', 'BufferPin')
          OR (a.wait_event_type = 'IPC' AND a.wait_event IN ('SyncRep', 'WaitForStandbyConfirmation')))
   ORDER BY a.pid`;

interface WaitRow {
  pid: number;
  backend_type: string | null;
  wait_event_type: string;
  wait_event: string;
  query_start: string | null;
  query: string;
  locktype: string | null;
  mode: string | null;
  relation: string | null;
  transaction_id: string | null;
  blockers: WaitBlocker[];
  sync_standby: BackendWait['syncStandby'];
}

export async function readBackendWaits(pool: Pool, pids: number[], slot: string): Promise<BackendWait[]> {
  const { rows } = await pool.query<WaitRow>(BACKEND_WAITS_SQL, [pids, slot]);
  return rows.map((r) => ({
    pid: r.pid,
    backendType: r.backend_type,
    waitEventType: r.wait_event_type,
    waitEvent: r.wait_event,
    queryStart: r.query_start,
    query: r.query,
    lock: r.locktype ? { type: r.locktype, mode: r.mode, relation: r.relation, transactionId: r.transaction_id } : null,
    blockers: r.blockers,
    syncStandby: r.sync_standby,
  }));
}

/** Slot creation's own wait (for running transactions): reported by slot-wait.ts in more detail. */
export function isSlotCreation(wait: BackendWait): boolean {
  const query = wait.query.toUpperCase();
  return query.includes('CREATE_REPLICATION_SLOT') || query.includes('PG_CREATE_LOGICAL_REPLICATION_SLOT');
}

function describeBlocker(b: WaitBlocker): string {
  const parts = [b.state ?? b.backendType ?? '?'];
  if (b.xactStart) parts.push(`transaction open since ${b.xactStart}`);
  if (b.application) parts.push(`application ${b.application}`);
  return `pid ${b.pid}${b.database ? ` on ${b.database}` : ''} (${parts.join(', ')})`;
}

function describeLock(lock: NonNullable<BackendWait['lock']>): string {
  const mode = lock.mode ? ` (${lock.mode})` : '';
  if (lock.type === 'relation' && lock.relation) return `a lock on table ${lock.relation}${mode}`;
  if (lock.type === 'transactionid' && lock.transactionId) return `transaction ${lock.transactionId} to end`;
  return `a ${lock.type} lock${mode}`;
}

/** One line: which of our statements waits, for what, held by whom. */
export function describeBackendWait(wait: BackendWait): string {
  const statement = `${wait.backendType === 'walsender' ? 'replication connection' : 'query'} "${wait.query}" (pid ${wait.pid})`;
  if (wait.syncStandby) {
    const { names, connected } = wait.syncStandby;
    const standbys = connected.length
      ? connected
          .map(
            (s) =>
              `${s.name} ${s.state ?? '?'}/${s.syncState ?? '?'}${s.replayLag ? ` replay lag ${s.replayLag}` : ''}`,
          )
          .join(', ')
      : 'none connected';
    const setting =
      wait.waitEvent === 'SyncRep' ? 'synchronous_standby_names' : 'synchronized_standby_slots (failover slots)';
    return `${statement} waits for a lagging or missing standby: ${setting} = '${names}'; standbys: ${standbys}`;
  }
  const what = wait.lock ? describeLock(wait.lock) : `${wait.waitEventType} ${wait.waitEvent}`;
  const held = wait.blockers.length ? ` held by ${wait.blockers.map(describeBlocker).join(', ')}` : '';
  return `${statement} waits for ${what}${held}`;
}
