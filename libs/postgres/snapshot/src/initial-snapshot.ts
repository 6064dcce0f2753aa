import { escapeLiteral, type Pool, type PoolClient } from 'pg';
import { positionToId, type ChangeEvent, type Lsn } from '@distributary/core';
import { silentLogger, type Logger } from '@distributary/observability';
import type { TypeLookup } from '@distributary/pg-decode';
import { keyOf, readChunk, type KeyCursor } from './chunk-reader';
import { computeProgress, type SnapshotProgress } from './progress';
import type { InitialSnapshotStore } from './snapshot-store';
import { describeSnapshotTable, estimateRows } from './table-meta';

export interface InitialSnapshotOptions {
  /** A raw-text pool on the source (createRawTextPool). */
  pool: Pool;
  types: TypeLookup;
  tables: readonly string[];
  /** The slot's consistent point. */
  lsn: Lsn;
  /** Exported snapshot name while the slot connection is still open; absent on a resume. */
  snapshotName?: string;
  /** Called once every connection has imported the exported snapshot (the slot connection may close). */
  onSnapshotImported?: () => Promise<void>;
  /** Appends events durably (pipelined XADD); resolves when they are in the log. */
  append(events: ChangeEvent[]): Promise<void>;
  /** Its progress record (the control plane's, in the log Redis): what a resume starts from. */
  state: InitialSnapshotStore;
  concurrency?: number;
  chunkSize?: number;
  logger?: Logger;
  onProgress?(progress: SnapshotProgress & { table: string }): void;
}

export interface InitialSnapshotResult {
  rows: number;
  chunks: number;
  tables: number;
  resumed: boolean;
}

/**
 * The initial snapshot: every published table read inside the slot's exported snapshot, in
 * primary-key chunks, by several connections, and appended as 'r' events at the slot's consistent
 * point before streaming starts.
 *
 * Invariants:
 * - Positions: every row gets (consistent-point LSN, running seq). The seq counter is advanced only
 *   under one lock, in append order, so IDs grow in every partition; streamed changes all commit
 *   after the consistent point, so they sort after every snapshot row.
 * - Resume: after each appended chunk the table's last key and the seq counter are persisted in
 *   Redis. A crash resumes after the last persisted key and never re-reads a finished chunk. The
 *   exported snapshot dies with the crashed process, so the remaining chunks are read from a fresh
 *   REPEATABLE READ snapshot: rows changed meanwhile are read newer, and their WAL changes (after the
 *   consistent point) are streamed next — the final state is exact. A chunk appended but not yet
 *   recorded when the process died is read again and appended under new seqs: the same rows with the
 *   same version (the consistent-point LSN), which every sink applies idempotently.
 */
export async function runInitialSnapshot(options: InitialSnapshotOptions): Promise<InitialSnapshotResult> {
  const logger = options.logger ?? silentLogger;
  const chunkSize = options.chunkSize ?? 2000;
  const record = options.state;
  const saved = await record.read();
  if (saved.status === 'done') return { rows: 0, chunks: 0, tables: 0, resumed: true };
  const resumed = Boolean(saved.status);
  const lsn = resumed && saved.lsn ? BigInt(saved.lsn) : options.lsn;
  let seq = resumed ? Number(saved.seq ?? 0) : 0;
  const startedAt = resumed ? Number(saved.startedAt) : Date.now();
  if (!resumed)
    await record.write({
      status: 'running',
      lsn: lsn.toString(),
      seq: 0,
      startedAt,
      tables: JSON.stringify(options.tables),
    });
  // Totals over every table, for progress bars (rowsDone / estimatedTotal).
  const estimates = new Map(options.tables.map((t) => [t, Number(saved[`t:${t}:estimate`] ?? 0)]));
  let totalRows = Number(saved.rowsDone ?? 0);

  const pending = options.tables.filter((table) => saved[`t:${table}:done`] !== '1');
  const connections = Math.max(1, Math.min(options.concurrency ?? 3, pending.length));
  const clients: PoolClient[] = [];
  let rows = 0;
  let chunks = 0;
  try {
    for (let i = 0; i < connections; i++) {
      const client = await options.pool.connect();
      clients.push(client);
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // The name comes from the server (CREATE_REPLICATION_SLOT), quoted all the same.
      if (options.snapshotName && !resumed)
        await client.query(`SET TRANSACTION SNAPSHOT ${escapeLiteral(options.snapshotName)}`);
    }
    await options.onSnapshotImported?.();

    // One lock orders appends and seq assignment; reads run in parallel.
    let appendChain: Promise<void> = Promise.resolve();
    const appendChunk = (
      table: string,
      events: Omit<ChangeEvent, 'pos'>[],
      next: KeyCursor | null,
      tableRows: number,
    ) => {
      const run = async () => {
        const positioned = events.map((event) => ({ ...event, pos: { lsn, seq: seq++ } }) as ChangeEvent);
        await options.append(positioned);
        chunks++;
        rows += positioned.length;
        totalRows += positioned.length;
        await record.write({
          seq,
          rowsDone: totalRows,
          [`t:${table}:rows`]: tableRows,
          ...(next ? { [`t:${table}:after`]: JSON.stringify(next) } : { [`t:${table}:done`]: 1 }),
        });
      };
      appendChain = appendChain.then(run);
      return appendChain;
    };

    const queue = [...pending];
    await Promise.all(
      clients.map(async (client) => {
        for (let table = queue.shift(); table; table = queue.shift()) {
          const meta = await describeSnapshotTable(client, table);
          const estimate = await estimateRows(client, table);
          estimates.set(table, estimate);
          await record.write({
            [`t:${table}:estimate`]: estimate,
            estimatedTotal: [...estimates.values()].reduce((a, b) => a + b, 0),
          });
          let after: KeyCursor | null = saved[`t:${table}:after`]
            ? (JSON.parse(saved[`t:${table}:after`]) as KeyCursor)
            : null;
          let tableRows = Number(saved[`t:${table}:rows`] ?? 0);
          logger.info({ table, estimate, resumeAfter: after }, 'initial snapshot: reading table');
          // The next chunk is read while the previous one is appended (appends stay in order on the
          // chain; a chunk's progress is recorded only once it is in the log): at most two chunks of a
          // table are held, one being appended and one being read.
          let appending: Promise<void> = Promise.resolve();
          for (;;) {
            const chunk = await readChunk(client, meta, options.types, after, chunkSize);
            await appending; // a failed append stops the reads here
            tableRows += chunk.rows.length;
            const events = chunk.rows.map((row) => ({
              op: 'r' as const,
              table,
              key: keyOf(meta, row),
              after: row,
              snapshot: 'initial',
            }));
            const rowsSoFar = tableRows;
            appending = appendChunk(table, events, chunk.next, rowsSoFar).then(() =>
              options.onProgress?.({ table, ...computeProgress(rowsSoFar, estimate, startedAt) }),
            );
            appending.catch(() => undefined); // awaited below or at the next chunk; not unhandled meanwhile
            if (!chunk.next) break;
            after = chunk.next;
          }
          await appending;
        }
      }),
    );
    await appendChain;
    for (const client of clients) await client.query('COMMIT');
    await record.write({
      status: 'done',
      finishedAt: Date.now(),
      lastId: positionToId({ lsn, seq: Math.max(0, seq - 1) }),
    });
    logger.info({ rows, chunks, tables: pending.length }, 'initial snapshot: done');
    return { rows, chunks, tables: pending.length, resumed };
  } finally {
    for (const client of clients) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }
}
