import {
  FencedError,
  START_ID,
  compareIds,
  type ApplyResult,
  type BackoffOptions,
  type ChangeEvent,
  type Sink,
  type SinkBatch,
  describeError,
  isPermanentError,
} from '@distributary/core';
import { ChangeLog, type LogEntry, type PartitionClaim, type RedisClient } from '@distributary/changelog';
import { retryLogLevel, type Logger } from '@distributary/observability';
import { sinkMetrics } from './metrics';
import { untilAborted, untilAbortedOrThrow } from './abortable';
import { RetryAborted, retryForever } from './retry';
import { applyIsolating, type ApplyAttempt, type BatchEntry } from './apply-isolating';
import { earlierInTransaction } from './earlier-in-transaction';

export interface PartitionTaskOptions {
  /** The log (its client is the shared connection; blocking reads use a duplicate of it). */
  log: ChangeLog;
  sink: Sink;
  claim: PartitionClaim;
  batchSize: number;
  blockMs: number;
  backoff?: BackoffOptions;
  isPaused: () => boolean;
  logger: Logger;
}

/** A batch whose apply was started: what finish() needs to take its outcome, or to apply it again. */
interface StartedBatch {
  entries: LogEntry[];
  relevant: BatchEntry[];
  lastId: string;
  started: bigint;
  /** The first apply, called at once (undefined: nothing of the sink's tables). */
  first: Promise<{ result: ApplyResult } | { error: unknown }> | undefined;
  /** Its number among this task's apply() calls. */
  call: number;
}

export interface RetryingInfo {
  since: number;
  step: string;
  error: string;
}

export type TaskState = 'starting' | 'reading' | 'applying' | 'retrying' | 'paused' | 'stopped';

/**
 * Consumes one partition of the change log for one sink, under a lease. Per batch: read after the
 * cursor → pass the events of the sink's tables to apply() (others only advance the position) →
 * dead-letter what the sink rejected → commit the batch's last ID with the lease's fencing token.
 * Nothing is lost or skipped: the position is committed only after apply() resolved and the rejected
 * events are in the dead-letter stream. Failures are classified once (classifyError in core): a
 * transient one is retried with backoff forever — by this task only, the worker's one retry policy
 * (retryForever; sinks do not retry on their own) — and nothing further is read meanwhile (backpressure;
 * past a bound the runner reports the partition degraded); a permanent one never holds the
 * partition: the events that cause it are isolated and dead-lettered (apply-isolating.ts).
 * A commit refused by the fence ends the task at once.
 *
 * PIPELINE (one batch ahead, order and fencing unchanged). While batch N is applied, the read of
 * batch N+1 is already waiting on the log (read-ahead), and while N's position is committed, N+1 is
 * applied. A read-ahead that answered during the apply with fewer than a batch (the first entries that
 * arrived then) is topped up with one read without waiting when N is done, so a batch holds what a
 * read after the apply would have, and at high rates no read waits (throughput); one that answered
 * only after N was done (an idle log: low rates) starts its batch at once, without that round trip.
 * What stays as strong as a strictly sequential loop:
 *  - applies run one after another in log order (N+1 starts after N's apply and dead letters are done);
 *  - N+1's position is committed only after N's commit succeeded and after N+1's own apply and dead
 *    letters: the committed position never passes an event that was not applied (kill -9 at any point
 *    re-reads from the last commit; versions make a re-apply a no-op);
 *  - every commit carries the lease's fencing token; a refused commit marks the lease lost, which
 *    abandons the apply in flight and commits nothing more (as a lease lost mid-apply always did);
 *  - stop() (hand-over) drops the read-ahead batch unapplied and waits for the batch being applied and
 *    the commit in flight only; nothing read ahead is ever committed without being applied.
 *
 * SEVERAL BATCHES IN FLIGHT (a sink whose `batchesInFlight` is above 1, e.g. Elasticsearch's bulk.batchesInFlight).
 * A batch's apply is called as soon as it is read, while the ones before it are still being written
 * (at low rates a batch no longer waits for the previous one's round trip to the target). The sink
 * makes each call's writes land after the previous call's, per key. Outcomes are taken strictly in
 * log order (finish(), one after another): dead letters, then the position commit after the previous
 * commit, as above. A first apply counts only if it succeeded AND was called after every apply call
 * of the batches before it (`settledCalls`); otherwise — it failed, or an earlier batch was applied
 * again after it was called — the batch is applied again, the sequential way (retries, isolation of
 * a permanent error). So when a batch fails, it and every later batch in flight are re-applied in log
 * order, exactly as a replay after a crash re-applies them: writes of one transaction share a
 * version, and this order is what keeps the later batch's content last.
 */
export class PartitionTask {
  private readonly stopController = new AbortController();
  private readonly lostController = new AbortController();
  private reader: RedisClient | undefined;
  /** The log over `reader` (rebuilt with it). */
  private readerLog: ChangeLog | undefined;
  private lost = false;
  private cursor: string = START_ID;
  private committed: string | undefined;
  /** The previous batch's position commit, running beside the next batch's apply (undefined: none). */
  private committing: Promise<{ error: unknown } | undefined> | undefined;
  /** The fence refused a commit: the task ends (the apply in flight beside it is abandoned). */
  private fenced: FencedError | undefined;
  /** finish() of every started batch, chained in log order (never rejects: see `failure`). */
  private finishing: Promise<void> = Promise.resolve();
  /** finish() of the started batches not yet finished, oldest first. */
  private readonly unfinished: Promise<void>[] = [];
  /** What ended the chain of finish() (the task then ends with it). */
  private failure: { error: unknown } | undefined;
  /** apply() calls made so far, and the last one made for a batch that is finished. */
  private calls = 0;
  private settledCalls = 0;
  /** Batches in flight at once: the sink's batchesInFlight (default 1). */
  private readonly depth: number;
  state: TaskState = 'starting';
  /** Set while a step is being retried: since when, which step, the last error (degraded past a bound). */
  retrying: RetryingInfo | undefined;
  readonly done: Promise<void>;

  constructor(private readonly options: PartitionTaskOptions) {
    this.depth = Math.max(1, options.sink.batchesInFlight ?? 1);
    this.done = this.run();
  }

  get claim(): PartitionClaim {
    return this.options.claim;
  }

  get position(): string | undefined {
    return this.committed;
  }

  /** Graceful: finish the batch in flight (apply, dead letters, commit), then end. */
  stop(): Promise<void> {
    this.options.logger.debug(
      { partition: this.options.claim.partition, state: this.state, lost: this.lost },
      'stopping partition task',
    );
    this.stopController.abort();
    // a blocking read (or the read-ahead beside an apply) is dropped at once: nothing read is applied now
    this.reader?.disconnect();
    return this.done;
  }

  /** The lease is gone: apply nothing more, commit nothing more. */
  abandon(): Promise<void> {
    this.lost = true;
    this.lostController.abort();
    return this.stop();
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  private get labels(): { sink: string } {
    return { sink: this.options.sink.name };
  }

  private async run(): Promise<void> {
    const { sink, claim, logger } = this.options;
    try {
      this.cursor = await this.step('start position', () => this.startPosition());
      this.committed = this.cursor === START_ID ? undefined : this.cursor;
      this.reader = this.openReader();
      logger.info({ sink: sink.name, partition: claim.partition, from: this.cursor }, 'consuming partition');
      let ahead: Promise<LogEntry[]> | undefined;
      /** The read-ahead answered while the batch before it was still unfinished (see the top-up below). */
      let aheadEarly = false;
      while (!this.stopping) {
        this.throwFailure();
        if (this.options.isPaused()) {
          await this.settleBatches();
          await this.settleCommit();
          this.state = 'paused';
          await new Promise((resolve) => setTimeout(resolve, 200));
          continue;
        }
        this.state = 'reading';
        let entries = await (ahead ?? this.read());
        // a read-ahead that answered during the apply carries the first entries that arrived then: the rest
        // that came since join this batch (one read without waiting), as a read after the apply would have
        // taken them. One that answered only after the apply had finished waited on an idle log and holds
        // all there was when it answered: no second round trip before this batch starts (low rates).
        if (ahead && aheadEarly && entries.length > 0 && entries.length < this.options.batchSize && !this.stopping)
          entries = entries.concat(
            await this.read(entries[entries.length - 1].id, this.options.batchSize - entries.length, false),
          );
        ahead = undefined;
        if (entries.length === 0 || this.lost || this.stopping) continue;
        this.cursor = entries[entries.length - 1].id;
        this.start(entries);
        // a batch of a quarter of batchSize or more means a backlog: batches then grow, one in flight
        // (another in flight only pays off while batches are small: it hides the target's round trip)
        const depth = entries.length * 4 >= this.options.batchSize ? 1 : this.depth;
        if (this.unfinished.length < depth) continue;
        // the next batch's read waits on the log while the oldest one in flight is finished (read-ahead)
        const readAhead = this.read();
        let answered = false;
        ahead = readAhead.then((read) => ((answered = true), read));
        await this.unfinished[0];
        aheadEarly = answered;
      }
      // graceful stop: the read-ahead batch is dropped unapplied; the batches in flight and their commits are waited for
      await this.settleBatches();
      await this.settleCommit();
    } catch (error) {
      if (error instanceof FencedError || this.fenced) {
        logger.warn({ sink: sink.name, partition: claim.partition }, (this.fenced ?? (error as Error)).message);
      } else if (!(error instanceof RetryAborted)) {
        sinkMetrics.errors.inc({ ...this.labels, kind: 'task' });
        logger.error({ err: error, sink: sink.name, partition: claim.partition }, 'partition task failed');
      }
    } finally {
      this.state = 'stopped';
      this.reader?.disconnect();
      logger.debug({ sink: sink.name, partition: claim.partition }, 'partition task ended');
    }
  }

  /** A connection of its own for the blocking reads (a blocked connection delays every other command). */
  private openReader(): RedisClient {
    const { log } = this.options;
    const reader = log.redis.duplicate();
    this.readerLog = new ChangeLog(reader, log.keys, log.partitions);
    reader.on('error', (error: Error) =>
      this.options.logger.debug({ err: error, partition: this.options.claim.partition }, 'reader connection error'),
    );
    return reader;
  }

  /** max(committed position, the sink's own stored position when it stores positions). */
  private async startPosition(): Promise<string> {
    const { log, sink, claim } = this.options;
    let from = (await log.positions.of(sink.name, claim.partition)) ?? START_ID;
    if (sink.storesPositions && sink.storedPositions) {
      const stored = (await sink.storedPositions()).get(claim.partition);
      if (stored && compareIds(stored, from) > 0) from = stored;
    }
    return from;
  }

  private async read(after = this.cursor, count = this.options.batchSize, block = true): Promise<LogEntry[]> {
    const { claim, blockMs } = this.options;
    try {
      // A command queued on a connection that is reconnecting may never settle: stopping does not wait for it.
      const entries = await untilAborted(
        (this.readerLog as ChangeLog).read.partition(claim.partition, after, {
          count,
          ...(block ? { blockMs } : {}),
        }),
        this.stopController.signal,
        [],
      );
      if (this.retrying?.step === 'read' && !this.stopping) this.retrying = undefined;
      return entries;
    } catch (error) {
      if (this.stopping) return [];
      sinkMetrics.retries.inc({ ...this.labels, step: 'read' });
      this.retrying ??= { since: Date.now(), step: 'read', error: '' };
      this.retrying.error = describeError(error);
      this.options.logger.warn(
        { err: error, sink: this.options.sink.name, partition: claim.partition },
        'read failed; retrying',
      );
      this.reader?.disconnect();
      this.reader = this.openReader();
      await new Promise((resolve) => setTimeout(resolve, 500));
      return [];
    }
  }

  /** Calls the batch's first apply at once and queues its finish() behind the earlier batches'. */
  private start(entries: LogEntry[]): void {
    const tables = new Set(this.options.sink.tables);
    const relevant: BatchEntry[] = entries.filter((e) => tables.has(e.event.table));
    const lastId = entries[entries.length - 1].id;
    sinkMetrics.eventsRead.inc(this.labels, entries.length);
    const batch: StartedBatch = {
      entries,
      relevant,
      lastId,
      started: process.hrtime.bigint(),
      first: undefined,
      call: 0,
    };
    // one batch at a time: finish() applies it (the sequential loop, unchanged)
    if (relevant.length > 0 && this.depth > 1) {
      this.state = 'applying';
      batch.call = ++this.calls;
      batch.first = this.options.sink
        .apply(
          this.sinkBatch(
            relevant.map((e) => e.event),
            lastId,
          ),
        )
        .then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
    }
    const finished = this.finishing
      .then(() => (this.failure ? undefined : this.finish(batch)))
      .catch((error: unknown) => {
        this.failure ??= { error };
        // the task ends: a blocking read must not hold it
        this.stopController.abort();
        this.reader?.disconnect();
      });
    this.finishing = finished;
    this.unfinished.push(finished);
    void finished.then(() => {
      if (this.unfinished[0] === finished) this.unfinished.shift(); // they finish in order
    });
  }

  /** Waits until every started batch is finished (applied, dead letters written, commit started). */
  private async settleBatches(): Promise<void> {
    await this.finishing;
    this.unfinished.length = 0;
    this.throwFailure();
  }

  private throwFailure(): void {
    if (this.failure) throw this.failure.error;
  }

  /**
   * Takes a started batch's outcome, in log order (see the class doc): its first apply if that counts,
   * else applies it again; then dead letters and the position commit (after the previous commit).
   */
  private async finish(batch: StartedBatch): Promise<void> {
    const { log, sink, claim } = this.options;
    const { relevant, lastId, started } = batch;
    if (this.lost) return;
    if (relevant.length > 0) {
      this.state = 'applying';
      const first = batch.first && (await untilAborted(batch.first, this.lostController.signal, undefined));
      if (this.lost) return;
      let result: ApplyResult;
      if (first && 'result' in first && batch.call > this.settledCalls) {
        result = first.result;
        this.settledCalls = batch.call;
      } else {
        if (first && 'error' in first) {
          if (first.error instanceof FencedError) throw first.error;
          sinkMetrics.retries.inc({ ...this.labels, step: 'apply' });
          this.options.logger.debug(
            { err: first.error, sink: sink.name, partition: claim.partition },
            'apply failed; applying it again',
          );
        }
        result = await applyIsolating(relevant, lastId, (events, upTo) => this.applyOnce(events, upTo));
        // every batch called before this re-apply ended is applied again after it
        this.settledCalls = this.calls;
      }
      if (this.lost) return;
      sinkMetrics.eventsApplied.inc(this.labels, result.applied);
      sinkMetrics.eventsStale.inc(this.labels, result.skippedAsStale);
      for (const rejected of result.rejected) {
        await this.step('dead-letter', () =>
          log.deadLetters.append(sink.name, claim.partition, rejected.event, rejected.error),
        );
        sinkMetrics.deadLettered.inc(this.labels);
      }
    }
    // the previous batch's commit ran beside this apply; this one is committed only after it
    await this.settleCommit();
    if (this.lost) return;
    const commit = this.step('commit', () =>
      log.positions.commit(sink.name, claim.partition, lastId, claim.fencingToken),
    ).then(
      (result) => {
        if (!this.lost) this.committed = result.position;
        sinkMetrics.batchSeconds.observe(this.labels, Number(process.hrtime.bigint() - started) / 1e9);
        return undefined;
      },
      (error: unknown) => {
        // refused by the fence (or given up): the lease is gone, abandon whatever is applied meanwhile
        if (error instanceof FencedError) {
          this.fenced = error;
          this.lost = true;
          this.lostController.abort();
          // the task ends even when no further batch comes (an idle read would not see the refusal)
          this.stopController.abort();
          this.reader?.disconnect();
        }
        return { error };
      },
    );
    this.committing = commit;
  }

  /** Waits for the commit in flight (if any); rethrows its failure (FencedError ends the task). */
  private async settleCommit(): Promise<void> {
    const pending = this.committing;
    if (!pending) return;
    const outcome = await pending;
    if (this.committing === pending) this.committing = undefined;
    if (outcome) throw outcome.error;
  }

  /**
   * One apply of (part of) a batch: transient failures are retried with backoff inside the step; a
   * permanent one (classifyError) is returned, so the caller isolates the events that cause it.
   */
  private sinkBatch(events: ChangeEvent[], lastId: string): SinkBatch {
    const { sink, claim } = this.options;
    return {
      sink: sink.name,
      partition: claim.partition,
      events,
      lastId,
      fencingToken: claim.fencingToken,
      earlierInTransaction: earlierInTransaction(this.options.log, claim.partition, events[0]),
    };
  }

  private async applyOnce(events: ChangeEvent[], lastId: string): Promise<ApplyAttempt> {
    const { sink, claim } = this.options;
    const batch = this.sinkBatch(events, lastId);
    return this.step('apply', async () => {
      try {
        this.calls++;
        return { result: await sink.apply(batch) };
      } catch (error) {
        if (error instanceof FencedError || !isPermanentError(error)) throw error;
        sinkMetrics.errors.inc({ ...this.labels, kind: 'permanent' });
        this.options.logger.warn(
          { err: error, sink: sink.name, partition: claim.partition, events: events.length },
          events.length > 1
            ? 'apply failed with a permanent error; isolating the events that cause it'
            : 'event failed with a permanent error; dead-lettering it',
        );
        return { permanent: error };
      }
    });
  }

  /**
   * One step, retried with backoff until it succeeds. Graceful stop lets a step in flight finish
   * but abandons a step that is waiting to be retried (nothing was committed, the next owner redoes it).
   */
  private async step<T>(what: string, run: () => Promise<T>): Promise<T> {
    const { sink, claim, logger } = this.options;
    const labels = { sink: sink.name, partition: String(claim.partition) };
    try {
      // Graceful stop lets the step in flight finish; a lost lease does not wait for it.
      const attempt = (): Promise<T> => untilAbortedOrThrow(run(), this.lostController.signal, what);
      return await retryForever(what, attempt, {
        signal: this.stopController.signal,
        backoff: this.options.backoff,
        isFatal: (error) => error instanceof FencedError || error instanceof RetryAborted || this.lost,
        onRetry: (error, attempt, delayMs) => {
          this.state = 'retrying';
          this.retrying ??= { since: Date.now(), step: what, error: '' };
          this.retrying.error = describeError(error);
          sinkMetrics.retries.inc({ sink: sink.name, step: what });
          sinkMetrics.errors.inc({ sink: sink.name, kind: error instanceof Error ? error.name : 'unknown' });
          sinkMetrics.retrying.set(labels, 1);
          logger[retryLogLevel(attempt, this.retrying.since)](
            { err: error, sink: sink.name, partition: claim.partition, attempt, delayMs },
            `${what} failed; retrying`,
          );
        },
        onRecovered: (attempts) => {
          this.retrying = undefined;
          sinkMetrics.retrying.set(labels, 0);
          logger.info({ sink: sink.name, partition: claim.partition, attempts }, `${what} succeeded after retries`);
        },
      });
    } catch (error) {
      this.retrying = undefined;
      sinkMetrics.retrying.set(labels, 0);
      throw error;
    }
  }
}
