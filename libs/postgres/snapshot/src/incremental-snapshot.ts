import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { escapeLiteral } from 'pg';
import type { Row } from '@distributary/core';
import { silentLogger, type Logger } from '@distributary/observability';
import { quoteIdent } from '@distributary/pg-catalog';
import type { TypeLookup } from '@distributary/pg-decode';
import type { DurableLsn } from './durable-lsn';
import { keyOf, readChunk, type KeyCursor } from './chunk-reader';
import type { SnapshotStore } from './snapshot-store';
import { readOnly } from './read-only';
import { inVisibleSnapshot } from './visible-snapshot';
import { describeSnapshotTable, estimateRows, type SnapshotTableMeta } from './table-meta';
import { parseSnapshotWhere, STORED_WHERE_LIMITS } from './where-clause';
import { DISTRIBUTARY_MESSAGE_PREFIX, encodeWatermark } from '@distributary/pg-protocol';
import type { WatermarkWindow } from './watermark-window';
import { CURRENT_SNAPSHOT_SQL, parseSnapshotVisibility } from './snapshot-visibility';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Backoff between reads of a chunk whose snapshot missed a logged commit (see WatermarkWindow). */
const RETRY_FIRST_MS = 5;
const RETRY_MAX_MS = 500;

export interface IncrementalSnapshotRunnerOptions {
  pool: Pool;
  types: TypeLookup;
  window: WatermarkWindow;
  durable: DurableLsn;
  requests: SnapshotStore;
  logger?: Logger;
  /** How long to wait for the stream to pass a high watermark before giving the chunk up. */
  watermarkTimeoutMs?: number;
  /** Aborted when the connector stops leading: the run ends at once and stays 'running' for the next leader. */
  signal?: AbortSignal;
}

/** The connector stopped leading in the middle of a snapshot; the next leader resumes it. */
export class SnapshotInterruptedError extends Error {}

export type SnapshotOutcome = 'done' | 'paused' | 'cancelled';

export function keysWhere(meta: SnapshotTableMeta, keys: Row[]): string {
  if (keys.length === 0) return 'false';
  const tuple = (key: Row) =>
    `(${meta.keyColumns
      .map((name) => {
        const value = key[name];
        if (value === undefined || value === null)
          throw new Error(`key is missing column ${name}: ${JSON.stringify(key)}`);
        const column = meta.columns.find((c) => c.name === name);
        const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
        return `${escapeLiteral(text)}::${column?.sqlType ?? 'text'}`;
      })
      .join(', ')})`;
  return `(${meta.keyColumns.map(quoteIdent).join(', ')}) IN (${keys.map(tuple).join(', ')})`;
}

/**
 * Runs one incremental snapshot while streaming continues, chunk by chunk, with the watermark rule
 * (see watermark-window.ts). Must run in the process of the active connector, which feeds the window
 * every streamed event and message and appends the surviving rows at the high watermark. Progress is
 * persisted after each chunk is durably in the log, so a restart resumes after the last such chunk;
 * pause and cancel take effect between chunks.
 */
export class IncrementalSnapshotRunner {
  private readonly logger: Logger;

  constructor(private readonly options: IncrementalSnapshotRunnerOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  private async emit(snapshot: string, chunk: number, mark: 'low' | 'high', attempt: string): Promise<bigint> {
    const { rows } = await this.options.pool.query<{ lsn: string }>(
      `SELECT pg_logical_emit_message(false, $1, $2)::text AS lsn`,
      [DISTRIBUTARY_MESSAGE_PREFIX, encodeWatermark({ snapshot, chunk, mark, attempt })],
    );
    const [hi, lo] = rows[0].lsn.split('/');
    return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
  }

  async run(id: string): Promise<SnapshotOutcome> {
    const { requests, window, durable, pool, types } = this.options;
    const record = await requests.get(id);
    if (!record) throw new Error(`no snapshot ${id}`);
    if (record.status === 'done' || record.status === 'cancelled') return record.status;
    let { chunks, rowsDone, dropped } = record;
    window.watch(record.table);
    // Everything from here on ends the record 'failed' with its error when it throws (never stuck
    // 'queued'); the reads run in READ ONLY transactions, the stored condition checked again.
    try {
      const meta = await readOnly(pool, (client) => describeSnapshotTable(client, record.table));
      const condition = record.where
        ? `(${await parseSnapshotWhere(
            record.where,
            meta.columns.map((c) => c.name),
            STORED_WHERE_LIMITS,
          )})`
        : undefined;
      const where =
        [condition, record.keys ? keysWhere(meta, record.keys) : undefined].filter(Boolean).join(' AND ') || undefined;
      if (!record.estimatedTotal) {
        const estimate = await readOnly(pool, (client) => estimateRows(client, record.table, where));
        await requests.update(id, { estimatedTotal: estimate });
      }
      await requests.update(id, {
        status: 'running',
        ...(record.startedAt ? {} : { startedAt: Date.now() }),
        error: '',
      });
      let after: KeyCursor | null = record.after ? (JSON.parse(record.after) as KeyCursor) : null;
      this.logger.info({ id, table: record.table, where, resumeAfter: after }, 'incremental snapshot: running');
      let retry = { since: 0, backoff: RETRY_FIRST_MS, reads: 0 };
      for (;;) {
        if (this.options.signal?.aborted) throw new SnapshotInterruptedError('the connector stopped leading');
        const current = await requests.get(id);
        if (current?.status === 'paused' || current?.status === 'cancelled') return current.status;
        const attempt = randomUUID(); // this read's marks only (see WatermarkWindow.expect)
        const closed = window.expect(id, chunks, record.table, attempt);
        await this.emit(id, chunks, 'low', attempt);
        // Read in a snapshot that sees every transaction committed before the low watermark: one
        // still waiting for a synchronous standby is logged BEFORE the watermark yet invisible to a
        // plain new snapshot, and its event would then be followed by the chunk's older row.
        const { chunk, visibility } = await inVisibleSnapshot(
          pool,
          async (client) => ({
            chunk: await readChunk(client, meta, types, after, record.chunkSize ?? 1000, where),
            // the snapshot the rows were read in: the window checks it saw every commit logged before the low mark
            visibility: parseSnapshotVisibility(
              (await client.query<{ snapshot: string }>(CURRENT_SNAPSHOT_SQL)).rows[0].snapshot,
            ),
          }),
          { logger: this.logger, maxWaitMs: this.options.watermarkTimeoutMs ?? 120_000 },
        );
        window.setRows(
          id,
          chunks,
          chunk.rows.map((row) => ({ key: keyOf(meta, row), row })),
          visibility,
        );
        await this.emit(id, chunks, 'high', attempt);
        const result = await this.withTimeout(closed, `the stream to pass the high watermark of chunk ${chunks}`);
        if (result.retry) {
          retry = await this.beforeReadingAgain(id, chunks, retry);
          continue;
        }
        retry = { since: 0, backoff: RETRY_FIRST_MS, reads: 0 };
        await this.withTimeout(
          durable.waitFor(result.lsn),
          `the chunk rows of chunk ${chunks} to be durable in the log`,
        );
        chunks++;
        rowsDone += result.events.length;
        dropped += Math.max(0, result.dropped);
        after = chunk.next;
        await requests.update(id, { chunks, rowsDone, dropped, after: after ? JSON.stringify(after) : '' });
        if (!after) {
          await requests.update(id, { status: 'done', finishedAt: Date.now() });
          this.logger.info({ id, rowsDone, dropped }, 'incremental snapshot: done');
          return 'done';
        }
      }
    } catch (error) {
      window.abandon(id);
      if (error instanceof SnapshotInterruptedError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      await requests.update(id, { status: 'failed', error: message.slice(0, 2000), finishedAt: Date.now() });
      this.logger.warn({ id, table: record.table, err: error }, 'incremental snapshot: failed');
      throw error;
    } finally {
      window.unwatch(record.table);
    }
  }

  /**
   * The chunk's snapshot missed a commit already logged before its low watermark (the backend had not
   * left the proc array yet): wait a little and read it again. Such a commit becomes visible within
   * moments; one that stays invisible (a synchronous standby that never answers, unseen because the
   * role lacks pg_read_all_stats) fails the snapshot after the watermark timeout, as a wait would.
   */
  private async beforeReadingAgain(
    id: string,
    chunk: number,
    retry: { since: number; backoff: number; reads: number },
  ): Promise<{ since: number; backoff: number; reads: number }> {
    const since = retry.since || Date.now();
    const limit = this.options.watermarkTimeoutMs ?? 120_000;
    if (Date.now() - since >= limit)
      throw new Error(
        `chunk ${chunk} of snapshot ${id}: for ${Date.now() - since} ms every read missed a transaction already in the log (committed, not yet visible to new snapshots; a synchronous standby that does not answer?)`,
      );
    if (retry.reads === 0)
      this.logger.info({ id, chunk }, 'incremental snapshot: the chunk missed a logged commit; reading it again');
    await sleep(retry.backoff);
    return { since, backoff: Math.min(RETRY_MAX_MS, retry.backoff * 2), reads: retry.reads + 1 };
  }

  private async withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
    const ms = this.options.watermarkTimeoutMs ?? 120_000;
    const signal = this.options.signal;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
          onAbort = () => reject(new SnapshotInterruptedError(`the connector stopped while waiting for ${what}`));
          if (signal?.aborted) onAbort();
          else signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }
}
