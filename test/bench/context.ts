/**
 * Shared state of one `npm run bench`: the preset, the stack's URLs, and the pre-filled change log
 * (benchmarks 1, 3 and 7 read the same one), plus every cleanup to run at the end.
 */
import {
  createTestDatabase,
  esUrl,
  pgUrl,
  redisUrl,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@distributary/testkit';
import { Pipeline } from '../harness/pipeline';
import { logEntries, partitionEnds } from '../harness/sink-progress';
import type { Preset } from './bench-types';
import { createJoinedSql, fillProducts, JOINED_TABLES } from './joined-table';
import { createDocsSql, DOCS_TABLE, fillDocs } from './source-table';
import { seconds } from './stopwatch';

export interface FilledLog {
  db: TestDatabase;
  pipeline: Pipeline;
  events: number;
  /** Distinct documents the log describes (rows written). */
  documents: number;
  /** From the first event in the log until the connector confirmed the last one. */
  drainSeconds: number;
  /** From the connector's process start until it confirmed the last one. */
  drainSecondsWithStartup: number;
  ends: Map<number, string>;
}

export function esSink(name: string, index: string): Record<string, unknown> {
  return { name, elasticsearch: { url: esUrl(), index }, from: DOCS_TABLE };
}

export class BenchContext {
  private filled: Promise<FilledLog> | undefined;
  private filledJoined: Promise<FilledLog> | undefined;
  private readonly cleanups: (() => Promise<void>)[] = [];
  readonly esUrl = esUrl();
  readonly redisUrl = redisUrl(0);
  readonly pgUrl = pgUrl();

  constructor(readonly preset: Preset) {}

  onCleanup(fn: () => Promise<void>): void {
    this.cleanups.unshift(fn);
  }

  async cleanup(): Promise<void> {
    for (const fn of this.cleanups) {
      try {
        await fn();
      } catch (error) {
        process.stderr.write(`cleanup failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  }

  /** A fresh database with the docs table and a pipeline over it (nothing started). */
  async newPipeline(
    prefix: string,
    options: {
      snapshot?: 'initial' | 'never';
      sinks?: Record<string, unknown>[];
      esIndex?: string;
      /** The joined products + categories workload instead of public.docs. */
      joined?: boolean;
      /** Write each child process's output to <logDir>/<label>.log. */
      logDir?: string;
    } = {},
  ) {
    const db = await createTestDatabase(prefix);
    await db.sql(options.joined ? createJoinedSql : createDocsSql);
    const pipeline = new Pipeline({
      name: uniqueName(prefix).replace(/_/g, '-'),
      sourceUrl: db.url,
      tables: options.joined ? JOINED_TABLES : [DOCS_TABLE],
      logRedisUrl: this.redisUrl,
      partitions: this.preset.partitions,
      snapshot: options.snapshot ?? 'never',
      sinks: options.sinks ?? [],
      logDir: options.logDir,
    });
    this.onCleanup(async () => {
      await pipeline.destroy({ esUrl: this.esUrl, esIndex: options.esIndex, cacheRedisUrl: this.redisUrl });
      await db.drop();
    });
    return { db, pipeline };
  }

  /** The pre-filled log: N × M rows written while the connector was stopped, then drained by it. */
  filledLog(): Promise<FilledLog> {
    this.filled ??= this.fillLog(false);
    return this.filled;
  }

  /** The same for the joined workload: N × M products, then one category renamed (a fan-out). */
  filledJoinedLog(): Promise<FilledLog> {
    this.filledJoined ??= this.fillLog(true);
    return this.filledJoined;
  }

  /** A joined log of its own with `transactions` × `rowsPerTransaction` products (figure 7 needs one
   *  large enough that start-up and lease hand-over are a small part of its drain). */
  joinedLogOf(transactions: number, rowsPerTransaction: number): Promise<FilledLog> {
    return this.fillLog(true, { transactions, rowsPerTransaction });
  }

  private async fillLog(
    joined: boolean,
    size: { transactions: number; rowsPerTransaction: number } = this.preset,
  ): Promise<FilledLog> {
    const { db, pipeline } = await this.newPipeline(joined ? 'bench_jlog' : 'bench_log', { joined });
    // first start creates slot and publication; then stop and fill the slot while nobody reads it
    const first = pipeline.start('connector');
    await pipeline.waitForSlot(first);
    await first.stop();
    const fill = joined ? fillProducts : fillDocs;
    const rows = await fill(db.url, size.transactions, size.rowsPerTransaction);
    if (joined) await db.sql(`UPDATE public.categories SET name = name || ' (renamed)' WHERE id = 1`);
    const target = await pipeline.sourceLsn();
    const startedAt = Date.now();
    const connector = pipeline.start('connector');
    let firstEventAt = 0;
    await waitFor(
      'the first event in the log',
      async () => {
        connector.assertAlive();
        return (await logEntries(pipeline.redis, pipeline.keys, this.preset.partitions)) > 0;
      },
      { timeoutMs: 120_000, intervalMs: 5 },
    );
    firstEventAt = Date.now();
    await pipeline.waitForLog(target);
    const doneAt = Date.now();
    await connector.stop();
    const events = await logEntries(pipeline.redis, pipeline.keys, this.preset.partitions);
    if (events < rows) throw new Error(`the log holds ${events} events for ${rows} rows written`);
    return {
      db,
      pipeline,
      events,
      documents: rows,
      drainSeconds: seconds(firstEventAt, doneAt),
      drainSecondsWithStartup: seconds(startedAt, doneAt),
      ends: await partitionEnds(pipeline.redis, pipeline.keys, this.preset.partitions),
    };
  }
}
