import type { Pool } from 'pg';
import { CURRENT_SNAPSHOT_SQL, invisibilityTest, parseSnapshotVisibility } from '@distributary/pg-snapshot';
import type { Logger } from '@distributary/observability';
import { connectorMetrics } from './connector-metrics';

const FIRST_BACKOFF_MS = 1;
const MAX_BACKOFF_MS = 100;
const WARN_AFTER_MS = 1000;
const WARN_EVERY_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Thrown by VisibilityGate.until when the session ends while it waits. */
export class VisibilityWaitAborted extends Error {}

/**
 * LOGGED MEANS VISIBLE. PostgreSQL writes a commit's WAL record (which logical decoding then sends)
 * before the backend leaves the proc array; until it does, new snapshots see the transaction as in
 * progress. That gap is long when the commit waits for a synchronous standby, and short but real when
 * the backend is merely descheduled (no wait event shows it). Everything downstream that re-reads the
 * source and orders the result against the log (a sink's joined documents and lookups, a gateway's
 * initial state, an incremental snapshot's chunk) needs "in the log" to imply "visible to a snapshot
 * taken after reading it".
 *
 * The session therefore holds each append until the transactions it carries are visible: it asks the
 * source for a fresh snapshot (pg_current_snapshot(): no privilege needed, unlike pg_stat_activity) and
 * checks every xid against it. Visibility only grows, so once a fresh snapshot sees a transaction,
 * every later snapshot of every reader does. A snapshot already fetched answers for every transaction
 * decoded before it was taken, so under load one query covers many appends; the usual cost is one
 * short query per append. A commit that stays invisible (a synchronous standby that does not answer)
 * holds the log back, as it holds back every other client of the source: warned after 1 s with the
 * xids, and every 30 s while it lasts.
 */
export class VisibilityGate {
  private latest: ((xid: number) => boolean) | null = null;
  /** Commits decoded so far; `latestCovers` is how many had been when the latest snapshot was asked for. */
  private decoded = 0;
  private latestCovers = 0;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly aborted: () => boolean,
  ) {}

  /**
   * Call as each commit is decoded; returns a ticket for until(). Only a snapshot fetched after that
   * call can show that a transaction is still invisible (then the gate waits before asking again); an
   * older one is simply asked again at once.
   */
  decodedNow(): number {
    return ++this.decoded;
  }

  /**
   * True when the snapshot already fetched sees every xid (no I/O): visibility only grows, so any
   * snapshot that sees a transaction proves it visible to every later one.
   */
  visibleNow(xids: readonly number[]): boolean {
    if (xids.length === 0) return true;
    const latest = this.latest;
    return latest !== null && !xids.some(latest);
  }

  /** Resolves once every xid is visible to new snapshots; `ticket` from decodedNow() after the last of them. */
  async until(xids: readonly number[], ticket: number): Promise<void> {
    if (xids.length === 0) return;
    const startedAt = Date.now();
    let backoff = FIRST_BACKOFF_MS;
    let warnedAt = 0;
    for (;;) {
      if (this.visibleNow(xids)) return;
      if (this.latest && this.latestCovers >= ticket) {
        // a snapshot taken after these commits were decoded misses one: its backend is still committing
        const waited = Date.now() - startedAt;
        if (waited >= WARN_AFTER_MS && Date.now() - warnedAt >= WARN_EVERY_MS) {
          warnedAt = Date.now();
          this.logger.warn(
            { xids: xids.filter(this.latest), waitedMs: waited },
            'appends held: transactions decoded from the WAL are not yet visible to new snapshots (their commit waits, e.g. for a synchronous standby in synchronous_standby_names); the log holds them back until they are',
          );
        }
        connectorMetrics.invisibleCommitWaits.inc();
        await sleep(backoff);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
      if (this.aborted()) throw new VisibilityWaitAborted('the session ended while appends waited for visibility');
      await this.refresh();
    }
  }

  /** One query at a time; callers that arrive meanwhile use its answer (and refresh again if it is too old). */
  private refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const covers = this.decoded;
    this.inFlight = this.pool
      .query<{ snapshot: string }>(CURRENT_SNAPSHOT_SQL)
      .then((result) => {
        this.latest = invisibilityTest(parseSnapshotVisibility(result.rows[0].snapshot));
        this.latestCovers = covers;
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }
}
