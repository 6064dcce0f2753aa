import { escapeLiteral, type Pool, type PoolClient } from 'pg';
import { lsnJustBefore, positionToId, type ChangeEvent, type Lsn } from '@distributary/core';
import { silentLogger, type Logger } from '@distributary/observability';
import type { TypeLookup } from '@distributary/pg-decode';
import { SnapshotAppendQueue } from './append-queue';
import { planTables } from './table-plan';
import { SnapshotCounters } from './snapshot-counters';
import { computeProgress, type SnapshotProgress } from './progress';
import { readRange } from './range-reader';
import type { KeyRange } from './range-state';
import type { InitialSnapshotStore } from './snapshot-store';

export interface InitialSnapshotOptions {
  /** A raw-text pool on the source (createRawTextPool): `concurrency` connections + 1 for type lookups. */
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
  /**
   * Appends issued before the previous one resolved (default 1). More only when `append`'s calls reach
   * the log in call order and a later call never lands after an earlier failed one (an AppendChain).
   */
  appendDepth?: number;
  /**
   * Its progress record (the control plane's, in the log Redis): what a resume starts from. Written
   * once per chunk, after the chunk is in the log; an append's place among the `appendDepth` in flight
   * frees only once its chunk's write returns. So keep it off the connection `append` uses, where each
   * write would wait behind the appends in flight and the log would idle while the next is encoded.
   */
  state: InitialSnapshotStore;
  /** Connections reading key ranges in parallel (default 3). */
  concurrency?: number;
  chunkSize?: number;
  /** Server text of chunks read and not yet in the log, before readers wait (default 16 MiB). */
  maxBytesInFlight?: number;
  logger?: Logger;
  onProgress?(progress: SnapshotProgress & { table: string }): void;
}

export interface InitialSnapshotResult {
  rows: number;
  chunks: number;
  tables: number;
  /** Key ranges read (over every table) and the connections that read them. */
  ranges: number;
  connections: number;
  resumed: boolean;
}

/**
 * The initial snapshot: every published table read inside the slot's exported snapshot, in
 * primary-key chunks, by several connections that all import that one snapshot, and appended as 'r'
 * events at the slot's consistent point before streaming starts.
 *
 * - Parallel reads: a large table is split into key ranges (splitKeyRanges; its boundaries are recorded
 *   before any of its rows is read) and the connections take ranges of every table from one queue.
 *   Every row is in exactly one range, read once, at the snapshot's version.
 * - Positions: every row gets (consistent-point LSN - 1, running seq), assigned by the one append queue
 *   in append order (SnapshotAppendQueue), so IDs grow in every partition; streamed changes all commit
 *   at or after the consistent point, so they sort after every snapshot row (one below it: a commit may
 *   start exactly at the consistent point, see lsnJustBefore), and a key has one snapshot row.
 * - Resume: after each appended chunk its range's last key and the seq counter are recorded, in
 *   append order and only once the chunk is in the log. A crash resumes every unfinished range after
 *   its last recorded key and never re-reads a recorded chunk. The exported snapshot dies with the
 *   crashed process, so the remaining chunks are read from fresh REPEATABLE READ snapshots: rows
 *   changed meanwhile are read newer, and their WAL changes (after the consistent point) are streamed
 *   next — the final state is exact. A chunk appended but not yet recorded when the process died is
 *   read again and appended under new seqs (the connector moves the counter past the log's entries
 *   first): the same rows with the same version (the recorded LSN), which every sink applies
 *   idempotently.
 * - Memory: readers wait while more than maxBytesInFlight of read chunks are not yet in the log.
 */
export async function runInitialSnapshot(options: InitialSnapshotOptions): Promise<InitialSnapshotResult> {
  const logger = options.logger ?? silentLogger;
  const chunkSize = options.chunkSize ?? 2000;
  const record = options.state;
  const saved = await record.read();
  if (saved.status === 'done') return { rows: 0, chunks: 0, tables: 0, ranges: 0, connections: 0, resumed: true };
  const resumed = Boolean(saved.status);
  // Rows go just below the consistent point: a transaction whose commit record starts there is not in
  // the exported snapshot, is streamed, and its events must not share the rows' IDs (lsnJustBefore).
  const lsn = resumed && saved.lsn ? BigInt(saved.lsn) : lsnJustBefore(options.lsn);
  const startedAt = resumed ? Number(saved.startedAt) : Date.now();
  if (!resumed)
    await record.write({
      status: 'running',
      lsn: lsn.toString(),
      seq: 0,
      startedAt,
      tables: JSON.stringify(options.tables),
    });

  const pending = options.tables.filter((table) => saved[`t:${table}:done`] !== '1');
  const clients: PoolClient[] = [];
  const open = async () => {
    const client = await options.pool.connect();
    clients.push(client);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // The name comes from the server (CREATE_REPLICATION_SLOT), quoted all the same.
    if (options.snapshotName && !resumed)
      await client.query(`SET TRANSACTION SNAPSHOT ${escapeLiteral(options.snapshotName)}`);
    return client;
  };
  try {
    const first = await open();
    const requested = Math.max(1, options.concurrency ?? 3);
    const plans = await planTables({
      client: first,
      types: options.types,
      tables: pending,
      saved,
      record,
      chunkSize,
      connections: requested,
      logger,
    });
    const units: KeyRange[] = pending.flatMap((table) => plans.get(table)?.pending ?? []);
    // No more readers than ranges, nor than the pool holds beside the one connection type lookups
    // may still need (a pool it would exhaust would wait for itself).
    const connections = Math.max(1, Math.min(requested, units.length, options.pool.options.max - 1));
    // The other readers' connections open and import the snapshot together (settled, then the first
    // failure thrown: none is left out of `clients`, which the finally below releases).
    const opened = await Promise.allSettled(Array.from({ length: connections - clients.length }, open));
    const refused = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (refused) throw refused.reason;
    await options.onSnapshotImported?.();

    const queue = new SnapshotAppendQueue({
      lsn,
      seq: Number(saved.seq ?? 0),
      maxBytes: options.maxBytesInFlight ?? 16 * 1024 * 1024,
      depth: Math.max(1, options.appendDepth ?? 1),
      append: options.append,
      record,
    });
    const counters = new SnapshotCounters(saved, new Map(pending.map((t) => [t, plans.get(t)?.pending.length ?? 0])));
    const reader = async (client: PoolClient) => {
      for (let range = units.shift(); range; range = units.shift()) {
        const plan = plans.get(range.table)!;
        const current = range;
        await readRange({
          client,
          plan,
          range,
          types: options.types,
          chunkSize,
          queue,
          progress: (count, next) => (seq) => counters.chunk(current, count, next, seq),
          recorded: () =>
            options.onProgress?.({
              table: current.table,
              ...computeProgress(counters.rowsOf(current.table), plan.estimate, startedAt),
            }),
        });
      }
    };
    const outcomes = await Promise.allSettled(
      clients.map((client) =>
        reader(client).catch((error: unknown) => {
          queue.fail(error);
          throw error;
        }),
      ),
    );
    await queue.drained();
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    for (const client of clients) await client.query('COMMIT');
    const ranges = [...plans.values()].reduce((n, plan) => n + plan.pending.length, 0);
    await record.write({
      status: 'done',
      finishedAt: Date.now(),
      lastId: positionToId({ lsn, seq: Math.max(0, queue.nextSeq - 1) }),
      // What this (last) run read with: key ranges over every table and the connections reading them.
      ranges,
      connections,
    });
    const { rows, chunks } = counters;
    logger.info({ rows, chunks, tables: pending.length, ranges, connections }, 'initial snapshot: done');
    return { rows, chunks, tables: pending.length, ranges, connections, resumed };
  } finally {
    for (const client of clients) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }
}
