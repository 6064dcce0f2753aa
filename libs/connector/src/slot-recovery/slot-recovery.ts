import type { Pool } from 'pg';
import { formatLsn, parseLsn, sleep, type Lsn } from '@distributary/core';
import type { ChangeLog } from '@distributary/changelog';
import type { Logger } from '@distributary/observability';
import {
  initialSnapshotState,
  clearResyncRequested,
  readSlotHealthState,
  writeSlotHealthState,
  type ResyncEpisode,
} from '@distributary/control';
import { SlotUnusableError, type SlotProblem, slotMetrics } from '@distributary/pg-catalog';
import { reconcileLog, type ReconcileResult } from './reconcile-log';
import { nextFreeSeq } from './resume-seq';

export type SlotLostPolicy = 'resync' | 'stop';

/**
 * A re-sync holds its new slot's WAL from the consistent point until the re-snapshot ends. When
 * re-reading the tables takes longer than max_slot_wal_keep_size lasts at the source's write rate, the
 * new slot is lost too, and starting over can never finish: after this many losses within one episode
 * the episode stops with the reason and what to change, instead of re-reading forever.
 */
export const MAX_RESYNC_SLOT_LOSSES = 3;

export interface SlotRecoveryOptions {
  /** The change log (its client and keys also hold the slot-health and snapshot state). */
  log: ChangeLog;
  slot: string;
  policy: SlotLostPolicy;
  tables: readonly string[];
  logger: Logger;
}

/**
 * The slot-loss policy (`source.onSlotLost`). A slot that is lost (invalidated), dropped, or whose
 * publication vanished can never stream the changes it missed; retrying only hides that. Instead:
 *
 *   resync (default): record the episode, drop the unusable slot, create a new one exporting its
 *   snapshot (a new consistent point P), re-read every published table into the log at P (the
 *   initial-snapshot machinery, crash-resumable), reconcile (reconcile-log.ts: deletes at P of keys
 *   the re-snapshot did not see), then stream from P. Every step is recorded in the episode so a
 *   crash anywhere resumes it, and status/dashboard show it.
 *   stop: record the episode as stopped, and stop the connector with PostgreSQL's reason and the
 *   command that starts the re-sync by hand (`distributary resync`).
 */
export class SlotRecovery {
  constructor(private readonly options: SlotRecoveryOptions) {}

  /** The current episode, if one is running. */
  async running(): Promise<ResyncEpisode | undefined> {
    const { resync } = await readSlotHealthState(this.options.log.redis, this.options.log.keys);
    return resync?.state === 'running' ? resync : undefined;
  }

  /** True when the log already holds this pipeline's data (a missing slot is then a gap, not a first start). */
  async logHasData(): Promise<boolean> {
    const [state, initial] = await Promise.all([
      this.options.log.connector.read(),
      initialSnapshotState(this.options.log.redis, this.options.log.keys),
    ]);
    return Boolean(state.confirmedLsn && state.confirmedLsn !== '0/0') || initial.state !== 'none';
  }

  /**
   * The slot cannot be read for a permanent reason. Applies the policy: with `stop` (and no
   * `distributary resync` request) throws SlotUnusableError; otherwise drops the slot and starts
   * (or continues) the re-sync episode — the caller then creates a new slot as on a first start.
   */
  async onUnusable(pool: Pool, problem: SlotProblem, reason: string, confirmedFlushLsn?: string | null): Promise<void> {
    const { log, slot, logger } = this.options;
    const { redis, keys } = log;
    if (problem === 'wrong-plugin')
      throw new SlotUnusableError(problem, reason, `replication slot "${slot}" cannot be used: ${reason}`);
    const state = await readSlotHealthState(redis, keys);
    const stoppedByLosses =
      state.resync?.state === 'stopped' && (state.resync.slotLosses ?? 0) >= MAX_RESYNC_SLOT_LOSSES;
    if (stoppedByLosses && !state.resyncRequested)
      // a restart alone changes nothing: the same re-read would lose its slot the same way
      throw new SlotUnusableError(
        problem,
        reason,
        `re-sync stopped: ${state.resync?.reason ?? reason}. To finish it: ${state.resync?.action ?? 'distributary resync'}`,
      );
    const connector = await log.connector.read();
    const episode: ResyncEpisode =
      state.resync?.state === 'running'
        ? state.resync
        : state.resync?.state === 'stopped' && state.resyncRequested
          ? {
              ...state.resync,
              state: 'running',
              phase: 'new-slot',
              action: undefined,
              resyncLsn: undefined,
              slotLosses: undefined,
            }
          : {
              state: 'running',
              problem: state.resyncRequested && problem === 'dropped' ? 'requested' : problem,
              reason,
              lostAt: new Date().toISOString(),
              // The slot's own confirmed position when PostgreSQL still reports it, else the connector's.
              lostFromLsn: confirmedFlushLsn ?? connector.confirmedLsn,
              phase: 'new-slot',
            };
    if (state.resync?.state === 'running' && state.resync.resyncLsn)
      await this.newSlotLostAgain(pool, episode, reason); // throws once the episode cannot finish
    else if (lostBeforeCaughtUp(state.resync)) {
      // the last re-sync finished, but its slot was lost again while streaming the WAL written meanwhile
      episode.slotLosses = state.resync?.slotLosses ?? 0;
      await this.newSlotLostAgain(pool, episode, reason);
    }
    if (this.options.policy === 'stop' && !state.resyncRequested && state.resync?.state !== 'running') {
      const action = `distributary resync --config <file>`;
      await writeSlotHealthState(redis, keys, { resync: { ...episode, state: 'stopped', action } });
      slotMetrics.resyncRunning.set({ slot }, 0);
      throw new SlotUnusableError(
        problem,
        reason,
        `${reason}. source.onSlotLost is 'stop', so the pipeline stays down and every sink keeps its state as of ` +
          `${episode.lostFromLsn ?? 'the last confirmed position'}. Run \`${action}\` to create a new slot, ` +
          're-snapshot every table and reconcile every sink (or set source.onSlotLost: resync)',
      );
    }
    if (state.resyncRequested) await clearResyncRequested(redis, keys);
    logger.error(
      { problem, reason, lostFromLsn: episode.lostFromLsn },
      'replication slot unusable: re-syncing (new slot, re-snapshot of every table, reconcile every sink)',
    );
    await writeSlotHealthState(redis, keys, { resync: episode });
    slotMetrics.resyncRunning.set({ slot }, 1);
    if (state.resync?.state !== 'running') slotMetrics.resyncs.inc({ slot, problem: episode.problem });
    await dropSlot(pool, slot, logger);
    // A new initial snapshot must run at the new slot's consistent point.
    await redis.del(keys.initialSnapshot());
  }

  /**
   * The episode's new slot (created at resyncLsn) was lost before the re-snapshot ended. Counts it,
   * says why in the log and the episode, and after MAX_RESYNC_SLOT_LOSSES stops the episode (state
   * 'stopped', SlotUnusableError) with the WAL budget and what to do: a loop that re-reads every table
   * only to lose the slot again would look busy forever while no sink ever becomes current.
   */
  private async newSlotLostAgain(pool: Pool, episode: ResyncEpisode, reason: string): Promise<void> {
    const { log, slot, logger } = this.options;
    const { redis, keys } = log;
    const losses = (episode.slotLosses ?? 0) + 1;
    episode.slotLosses = losses;
    const keep = await maxSlotWalKeepSize(pool);
    const why =
      `the re-sync's new slot was lost again (${losses} of ${MAX_RESYNC_SLOT_LOSSES} times) after re-reading ` +
      `${episode.rowsDone ?? 0} rows: re-reading every table takes more WAL than max_slot_wal_keep_size ` +
      `(${keep}) keeps, because the new slot holds WAL from its consistent point until streaming has caught up ` +
      `(sinks whose targets are in the source's cluster, such as views, add their own writes to that WAL)`;
    logger.error({ slot, losses, maxSlotWalKeepSize: keep, reason }, why);
    if (losses < MAX_RESYNC_SLOT_LOSSES) return;
    const action =
      `raise max_slot_wal_keep_size (now ${keep}) above the WAL the source writes while every table is re-read ` +
      `(or re-sync at a quieter time), then run \`distributary resync --config <file>\``;
    await writeSlotHealthState(redis, keys, {
      resync: { ...episode, state: 'stopped', reason: `${why}. ${reason}`, action },
    });
    slotMetrics.resyncRunning.set({ slot }, 0);
    await dropSlot(pool, slot, logger);
    await redis.del(keys.initialSnapshot());
    throw new SlotUnusableError('lost', reason, `re-sync stopped: ${why}. To finish it: ${action}`);
  }

  /**
   * A crash between creating the new slot and recording its snapshot leaves a slot whose exported
   * snapshot is gone and nothing to resume: drop it, so the re-sync starts over at a new slot.
   */
  async restartUnstartedSnapshot(pool: Pool): Promise<void> {
    if (!(await this.running())) return;
    if ((await initialSnapshotState(this.options.log.redis, this.options.log.keys)).state !== 'none') return;
    const { rowCount } = await pool.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
      this.options.slot,
    ]);
    if (!rowCount) return;
    this.options.logger.warn('re-sync: the new slot was created but its snapshot never started; starting over');
    await dropSlot(pool, this.options.slot, this.options.logger);
  }

  /** Called once the new slot exists: records its consistent point and the WAL that could not be streamed. */
  async slotCreated(consistentPoint: Lsn): Promise<void> {
    const episode = await this.running();
    if (!episode) return;
    const from = episode.lostFromLsn ? parseLsn(episode.lostFromLsn) : null;
    await this.update({
      ...episode,
      phase: 'snapshot',
      resyncLsn: formatLsn(consistentPoint),
      gapBytes: from !== null && consistentPoint > from ? (consistentPoint - from).toString() : undefined,
    });
  }

  async progress(rowsDone: number, estimatedTotal: number): Promise<void> {
    const episode = await this.running();
    if (episode) await this.update({ ...episode, rowsDone, estimatedTotal });
    slotMetrics.resyncRows.set({ slot: this.options.slot }, rowsDone);
  }

  /**
   * After the re-snapshot is complete: reconciles the log (deletes of keys the snapshot did not see)
   * and closes the episode. A no-op without a running episode; safe to repeat after a crash.
   */
  async finish(append: (events: import('@distributary/core').ChangeEvent[]) => Promise<void>): Promise<void> {
    const episode = await this.running();
    if (!episode) return;
    const { log, logger } = this.options;
    const { redis, keys } = log;
    const initial = await redis.hgetall(keys.initialSnapshot());
    if (initial.status !== 'done' || !initial.lsn) return;
    await this.update({ ...episode, phase: 'reconcile' });
    const result: ReconcileResult = await reconcileLog({
      redis,
      keys,
      partitions: this.options.log.partitions,
      tables: this.options.tables,
      lsn: BigInt(initial.lsn),
      // Past any delete a crashed earlier attempt appended (a reused ID would be skipped as a duplicate).
      firstSeq: Math.max(
        Number(initial.seq ?? 0),
        await nextFreeSeq(redis, keys, this.options.log.partitions, BigInt(initial.lsn)),
      ),
      append,
    });
    const done: ResyncEpisode = {
      ...episode,
      state: 'done',
      phase: 'streaming',
      rowsDone: Number(initial.rowsDone ?? episode.rowsDone ?? 0),
      estimatedTotal: Number(initial.estimatedTotal ?? episode.estimatedTotal ?? 0),
      deleted: result.deleted,
      deletedByTable: result.byTable,
      finishedAt: new Date().toISOString(),
    };
    await this.update(done);
    slotMetrics.resyncRunning.set({ slot: this.options.slot }, 0);
    logger.warn(
      {
        lostAt: done.lostAt,
        lostFromLsn: done.lostFromLsn,
        resyncLsn: done.resyncLsn,
        gapBytes: done.gapBytes,
        rows: done.rowsDone,
        deleted: done.deleted,
        deletedByTable: done.deletedByTable,
      },
      're-sync complete: every table re-read at the new slot, rows deleted in the gap removed from every sink; streaming',
    );
  }

  private update(episode: ResyncEpisode): Promise<void> {
    return writeSlotHealthState(this.options.log.redis, this.options.log.keys, { resync: episode });
  }
}

/** Drops the slot if it exists, waiting (bounded) for a walsender that still holds it to let go. */
export async function dropSlot(pool: Pool, slot: string, logger: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [
        slot,
      ]);
      return;
    } catch (error) {
      if (attempt >= 20) throw error;
      logger.warn({ error: (error as Error).message }, 'cannot drop the unusable slot yet; retrying');
      await sleep(500);
    }
  }
}

/**
 * A re-sync that finished, whose new slot is lost again sooner than the re-sync itself took: the
 * connector could not even stream the WAL written while it re-read the tables (found by chaos --full:
 * view sinks whose targets live in the source cluster wrote >2 GB of WAL per re-read of 1M rows, so
 * every re-sync "completed" and lost its slot again seconds later, forever). It counts as the same
 * re-sync losing its slot again.
 */
function lostBeforeCaughtUp(previous: ResyncEpisode | undefined, now = Date.now()): boolean {
  if (previous?.state !== 'done' || !previous.finishedAt) return false;
  const took = Date.parse(previous.finishedAt) - Date.parse(previous.lostAt);
  const since = now - Date.parse(previous.finishedAt);
  return Number.isFinite(took) && Number.isFinite(since) && since < took;
}

/** PostgreSQL's max_slot_wal_keep_size as it shows it (e.g. '64MB'; '-1' is unlimited). */
async function maxSlotWalKeepSize(pool: Pool): Promise<string> {
  try {
    const { rows } = await pool.query<{ max_slot_wal_keep_size: string }>('SHOW max_slot_wal_keep_size');
    return rows[0]?.max_slot_wal_keep_size ?? '?';
  } catch {
    return '?';
  }
}
