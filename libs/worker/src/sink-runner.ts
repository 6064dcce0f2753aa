import { hostname } from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { RetryableError, instanceId, type BackoffOptions, type Sink } from '@distributary/core';
import {
  ChangeLog,
  DeadLetterReplays,
  LogKeys,
  PartitionOwnership,
  type PartitionClaim,
  type RedisClient,
  type WorkerStatus,
} from '@distributary/changelog';
import { health, processCpuMs, retryLogLevel, silentLogger, type Logger } from '@distributary/observability';
import { finishesWithin } from './abortable';
import { sinkMetrics } from './metrics';
import { retryForever } from './retry';
import { PartitionTask } from './partition-task';
import { resyncDeadLetters } from '@distributary/control';

export type SinkSource = readonly Sink[] | (() => Promise<readonly Sink[]> | readonly Sink[]);

export interface SinkRunnerOptions {
  /** The log's Redis (single or cluster). Blocking reads use duplicates of it. */
  redis: RedisClient;
  namespace: string;
  partitions: number;
  sinks: SinkSource;
  workerId?: string;
  batchSize?: number;
  blockMs?: number;
  leaseTtlMs?: number;
  memberTtlMs?: number;
  /** How often status, lag metrics and the paused set are refreshed. */
  statusEveryMs?: number;
  backoff?: BackoffOptions;
  /** Graceful stop, in all, takes at most this long (default 20 s: within a 25 s termination grace):
   *  the batches in flight, the lease releases and closing the sinks share it. A batch not finished in
   *  time is left uncommitted (nothing is lost: the next owner reads it again). */
  stopTimeoutMs?: number;
  /** How often each owned partition gets a (time, last ID) checkpoint, the time reference of
   *  compaction's minLag / tombstone retention and of time retention (default 60 s; 0 = never). */
  checkpointEveryMs?: number;
  /** How long checkpoints are kept (default 8 days: above the default 7-day maxAge). */
  checkpointKeepMs?: number;
  /** A partition retrying a failed step for longer than this is *degraded* (status, /health/ready,
   *  the distributary_sink_degraded metric); default 60 s. */
  degradedAfterMs?: number;
  /** How long a dead-letter re-sync snapshot may wait for a connector (default 15 s). */
  deadLetterPickupMs?: number;
  /** Process dead-letter replay requests (admin API, CLI) for the sinks run here; default true. */
  deadLetterReplays?: boolean;
  logger?: Logger;
}

const taskId = (sink: string, partition: number): string => `${sink}#${partition}`;

/**
 * Runs any number of sinks over the partitions this worker owns. Ownership (leases with fencing
 * tokens, rebalancing among the live workers) comes from @distributary/changelog; each owned
 * (sink, partition) runs as one PartitionTask (read → apply → dead-letter → fenced commit).
 * A (sink, partition) is consumed by at most one task in this process: a re-acquired partition
 * starts only after the previous task for it has ended.
 */
export class SinkRunner {
  readonly workerId: string;
  readonly keys: LogKeys;
  /** The change log on the shared connection (`options.redis`). */
  readonly log: ChangeLog;
  private readonly logger: Logger;
  private sinks: readonly Sink[] = [];
  private readonly tasks = new Map<string, PartitionTask>();
  /** Tasks handing over or abandoned, until they have ended. */
  private readonly ending = new Map<string, Promise<void>>();
  private readonly paused = new Set<string>();
  private ownership: PartitionOwnership | undefined;
  /** The leases' own connection: renewals never queue behind batch commands on the shared one. */
  private leaseRedis: RedisClient | undefined;
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private loopDelayMaxMs = 0;
  private loopTimer: NodeJS.Timeout | undefined;
  private deadLetterReplays: DeadLetterReplays | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date().toISOString();
  private readonly checkpointedAt = new Map<number, number>();
  private running = false;

  constructor(private readonly options: SinkRunnerOptions) {
    this.workerId = options.workerId ?? instanceId();
    this.keys = new LogKeys(options.namespace);
    this.log = new ChangeLog(options.redis, this.keys, options.partitions);
    this.logger = options.logger ?? silentLogger;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const source = this.options.sinks;
    this.sinks = typeof source === 'function' ? await source() : source;
    const names = new Set<string>();
    for (const sink of this.sinks) {
      if (names.has(sink.name)) throw new Error(`two sinks are named "${sink.name}"; sink names must be unique`);
      names.add(sink.name);
    }
    this.leaseRedis = this.options.redis.duplicate();
    this.leaseRedis.on('error', (error: Error) => this.logger.debug({ err: error }, 'lease connection error'));
    this.ownership = new PartitionOwnership({
      redis: this.leaseRedis,
      keys: this.keys,
      workerId: this.workerId,
      sinks: this.sinks.map((s) => s.name),
      partitions: this.options.partitions,
      leaseTtlMs: this.options.leaseTtlMs,
      memberTtlMs: this.options.memberTtlMs,
      logger: this.logger,
      listener: {
        acquired: (claim) => this.startTask(claim),
        revoked: (claim) => this.stopTask(claim, false),
        lost: (claim) => void this.stopTask(claim, true),
      },
    });
    // workers starting beside this one wait for it (bounded) rather than take its share meanwhile
    this.ownership.announceOpening();
    try {
      await this.openSinks();
    } catch (error) {
      await finishesWithin(this.ownership.stop(), 5000);
      this.leaseRedis.disconnect();
      throw error;
    }
    await this.refreshPaused();
    this.running = true;
    this.loopDelay.enable();
    this.loopTimer = setInterval(() => this.checkEventLoop(), 1000);
    this.loopTimer.unref();
    await this.ownership.start();
    if (this.options.deadLetterReplays !== false) {
      this.deadLetterReplays = new DeadLetterReplays(this.options.redis, this.keys, this.logger);
      this.deadLetterReplays.startWorker(
        (name) => this.sinks.find((s) => s.name === name),
        (sink, ids) =>
          resyncDeadLetters(this.log, sink.name, {
            ids,
            pickupMs: this.options.deadLetterPickupMs,
          }),
      );
    }
    health.register(`sink-worker:${this.workerId}`, async () => {
      await this.options.redis.ping();
    });
    health.register(
      `sinks:${this.workerId}`,
      async () => {
        const degraded = this.degradedReasons();
        if (degraded.length > 0) throw new Error(`degraded: ${degraded.join('; ')}`);
      },
      { degradesOnly: true },
    );
    this.scheduleStatus();
    this.logger.info({ workerId: this.workerId, sinks: [...names], cpuMs: processCpuMs() }, 'sink worker started');
  }

  /**
   * Opens every sink before this worker joins (it owns nothing until all are open). A sink that cannot
   * open (a fatal error) is named in the log with why, every sink is closed again (nothing of this worker
   * keeps running or holding connections) and the error is rethrown: the worker does not start.
   */
  private async openSinks(): Promise<void> {
    for (const sink of this.sinks) {
      try {
        await this.openSink(sink);
      } catch (error) {
        this.logger.error(
          { err: error, sink: sink.name, workerId: this.workerId },
          `sink ${sink.name} could not be opened: this worker does not join and owns no partition`,
        );
        for (const other of this.sinks) {
          const closed = other
            .close()
            .catch((e) => this.logger.warn({ err: e, sink: other.name }, 'closing sink failed'));
          await finishesWithin(closed, 5000);
        }
        throw error;
      }
    }
  }

  /** Opens a sink; a target that is down (RetryableError) is retried with backoff until it answers. */
  private async openSink(sink: Sink): Promise<void> {
    const since = Date.now();
    await retryForever(`open sink ${sink.name}`, () => sink.open(), {
      signal: new AbortController().signal,
      backoff: this.options.backoff,
      isFatal: (error) => !(error instanceof RetryableError),
      onRetry: (error, attempt, delayMs) => {
        sinkMetrics.retries.inc({ sink: sink.name, step: 'open' });
        // `status` shows why this worker has not joined yet
        const text = error instanceof Error ? error.message : String(error);
        void this.ownership
          ?.reportOpeningTrouble({ sink: sink.name, error: text.slice(0, 500), attempts: attempt, since })
          .catch(() => undefined);
        this.logger[retryLogLevel(attempt)](
          { err: error, sink: sink.name, attempt, delayMs },
          'opening the sink failed; retrying',
        );
      },
    });
  }

  /**
   * Graceful stop: finish every batch in flight, commit, release the leases, leave, close the sinks —
   * all within stopTimeoutMs (default 20 s) whatever the load: each step gets what is left of it.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const deadline = Date.now() + (this.options.stopTimeoutMs ?? 20_000);
    const left = (): number => Math.max(0, deadline - Date.now());
    if (this.statusTimer) clearTimeout(this.statusTimer);
    await finishesWithin(this.deadLetterReplays?.close() ?? Promise.resolve(), Math.min(5000, left()));
    const ownership = this.ownership;
    await finishesWithin(ownership?.stop() ?? Promise.resolve(), left());
    await Promise.all(
      [...this.tasks.values()].map(async (task) => {
        if (!(await finishesWithin(task.stop(), left()))) {
          this.logger.warn(
            { sink: task.claim.sink, partition: task.claim.partition },
            'batch did not finish in time; left uncommitted',
          );
          void task.abandon();
        }
        await finishesWithin(ownership?.release(task.claim.sink, task.claim.partition) ?? Promise.resolve(), left());
      }),
    );
    this.tasks.clear();
    await finishesWithin(Promise.all(this.ending.values()), left());
    await finishesWithin(this.options.redis.del(this.keys.workerStatus(this.workerId)), Math.min(2000, left()));
    health.unregister(`sink-worker:${this.workerId}`);
    health.unregister(`sinks:${this.workerId}`);
    for (const sink of this.sinks) {
      const closed = sink
        .close()
        .catch((error) => this.logger.warn({ err: error, sink: sink.name }, 'closing sink failed'));
      if (!(await finishesWithin(closed, Math.max(1000, left()))))
        this.logger.warn({ sink: sink.name }, 'closing the sink did not finish in time; going on');
    }
    this.leaseRedis?.disconnect();
    this.checkEventLoop();
    if (this.loopTimer) clearInterval(this.loopTimer);
    this.loopDelay.disable();
    this.logger.info({ workerId: this.workerId, eventLoopDelayMaxMs: this.loopDelayMaxMs }, 'sink worker stopped');
  }

  /** The longest the event loop was blocked since start, in ms (leases are renewed on it). */
  eventLoopDelayMaxMs(): number {
    this.checkEventLoop();
    return this.loopDelayMaxMs;
  }

  /** Warns when the event loop (which renews the leases) was blocked for a third of the lease TTL. */
  private checkEventLoop(): void {
    const maxMs = Math.round(this.loopDelay.max / 1e6);
    this.loopDelay.reset();
    if (maxMs > this.loopDelayMaxMs) this.loopDelayMaxMs = maxMs;
    const ttl = this.options.leaseTtlMs ?? 5000;
    if (maxMs >= ttl / 3)
      this.logger.warn(
        { eventLoopDelayMs: maxMs, eventLoopDelayMaxMs: this.loopDelayMaxMs, leaseTtlMs: ttl },
        'event loop blocked; leases are renewed on it',
      );
  }

  /** Pause a sink on every worker (persisted in the log Redis). */
  async pause(sink: string): Promise<void> {
    this.requireSink(sink);
    this.paused.add(sink);
    sinkMetrics.paused.set({ sink }, 1);
    await this.log.sinks.pause(sink);
  }

  async resume(sink: string): Promise<void> {
    this.requireSink(sink);
    await this.log.sinks.resume(sink);
    this.paused.delete(sink);
    sinkMetrics.paused.set({ sink }, 0);
  }

  /** Names of the sinks this runner runs (after start). */
  sinkNames(): string[] {
    return this.sinks.map((s) => s.name);
  }

  isPaused(sink: string): boolean {
    return this.paused.has(sink);
  }

  /**
   * Replay a sink from `fromId` (undefined = from the start) in every partition: its committed
   * positions are reset and its current owners fenced out; they re-acquire and read from there.
   * A sink that stores its own positions (a view) is refused: it resumes from max(committed, stored).
   */
  async replay(sink: string, fromId?: string): Promise<void> {
    if (this.requireSink(sink).storesPositions)
      throw new Error(
        `sink ${sink} stores its own positions and cumulative state (a materialized view): a position reset ` +
          `would change nothing; \`distributary replay ${sink} --from start\` rebuilds it from the compacted log`,
      );
    await this.log.positions.replay(sink, fromId);
    await this.ownership?.tick();
  }

  /** What this worker owns now, with positions and task states. */
  status(): WorkerStatus {
    return {
      workerId: this.workerId,
      host: hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
      owned: [...this.tasks.values()].map((task) => ({
        sink: task.claim.sink,
        partition: task.claim.partition,
        fencingToken: task.claim.fencingToken,
        position: task.position,
        state: task.state,
        ...(task.retrying
          ? {
              retrying: { ...task.retrying, since: new Date(task.retrying.since).toISOString() },
              degraded: this.isDegraded(task),
            }
          : {}),
      })),
      pausedSinks: [...this.paused].sort(),
      members: [...(this.ownership?.liveMembers() ?? [])],
    };
  }

  private isDegraded(task: PartitionTask): boolean {
    return task.retrying !== undefined && Date.now() - task.retrying.since >= (this.options.degradedAfterMs ?? 60_000);
  }

  /** One line per degraded partition: which sink and partition, which step, for how long, why. */
  degradedReasons(): string[] {
    return [...this.tasks.values()]
      .filter((task) => this.isDegraded(task))
      .map((task) => {
        const info = task.retrying as NonNullable<PartitionTask['retrying']>;
        const seconds = Math.round((Date.now() - info.since) / 1000);
        return `sink ${task.claim.sink} partition ${task.claim.partition}: ${info.step} retrying for ${seconds} s: ${info.error}`;
      });
  }

  private requireSink(name: string): Sink {
    const sink = this.sinks.find((s) => s.name === name);
    if (!sink)
      throw new Error(`no sink named "${name}" runs here (sinks: ${this.sinks.map((s) => s.name).join(', ')})`);
    return sink;
  }

  private startTask(claim: PartitionClaim): void {
    const id = taskId(claim.sink, claim.partition);
    const previous = this.tasks.get(id);
    if (previous) this.tasks.delete(id);
    const before = previous ? previous.abandon() : this.ending.get(id);
    const begin = (): void => {
      if (!this.running) return;
      const sink = this.requireSink(claim.sink);
      this.tasks.set(
        id,
        new PartitionTask({
          log: this.log,
          sink,
          claim,
          batchSize: this.options.batchSize ?? 500,
          blockMs: this.options.blockMs ?? 1000,
          backoff: this.options.backoff,
          isPaused: () => this.paused.has(claim.sink),
          logger: this.logger,
        }),
      );
      this.updateOwnedGauge();
    };
    // one task per (sink, partition) in this process: a re-acquired partition waits for the old task
    if (before) void before.then(begin);
    else begin();
  }

  private async stopTask(claim: PartitionClaim, lost: boolean): Promise<void> {
    const id = taskId(claim.sink, claim.partition);
    const task = this.tasks.get(id);
    if (!task || task.claim.fencingToken !== claim.fencingToken) return;
    this.tasks.delete(id);
    const labels = { sink: claim.sink, partition: String(claim.partition) };
    sinkMetrics.lagEntries.remove(labels);
    sinkMetrics.lagBytes.remove(labels);
    sinkMetrics.lagSeconds.remove(labels);
    sinkMetrics.degraded.remove(labels);
    this.updateOwnedGauge();
    const ended = lost ? task.abandon() : task.stop();
    this.ending.set(id, ended);
    await ended;
    if (this.ending.get(id) === ended) this.ending.delete(id);
  }

  private updateOwnedGauge(): void {
    for (const sink of this.sinks) {
      const owned = [...this.tasks.values()].filter((t) => t.claim.sink === sink.name).length;
      sinkMetrics.owned.set({ sink: sink.name }, owned);
    }
  }

  private async refreshPaused(): Promise<void> {
    const global = new Set(await this.log.sinks.paused());
    for (const sink of this.sinks) {
      if (global.has(sink.name)) this.paused.add(sink.name);
      else this.paused.delete(sink.name);
      sinkMetrics.paused.set({ sink: sink.name }, this.paused.has(sink.name) ? 1 : 0);
    }
  }

  private scheduleStatus(): void {
    const every = this.options.statusEveryMs ?? 2000;
    this.statusTimer = setTimeout(() => {
      void this.publishStatus()
        .catch((error) => this.logger.warn({ err: error }, 'publishing worker status failed'))
        .finally(() => {
          if (this.running) this.scheduleStatus();
        });
    }, every);
  }

  private async recordCheckpoints(): Promise<void> {
    const every = this.options.checkpointEveryMs ?? 60_000;
    if (every <= 0) return;
    const keep = this.options.checkpointKeepMs ?? 8 * 86_400_000;
    const partitions = new Set([...this.tasks.values()].map((t) => t.claim.partition));
    for (const partition of partitions) {
      const last = this.checkpointedAt.get(partition) ?? 0;
      if (Date.now() - last < every) continue;
      await this.log.compaction.recordCheckpoint(partition, keep);
      this.checkpointedAt.set(partition, Date.now());
    }
  }

  /** Paused set, worker status hash, lag and DLQ metrics, log clock checkpoints. */
  private async publishStatus(): Promise<void> {
    await this.refreshPaused();
    if (!this.running) return;
    await this.log.sinks.writeWorkerStatus(this.status(), (this.options.statusEveryMs ?? 2000) * 3);
    for (const sink of this.sinks) {
      sinkMetrics.dlqSize.set({ sink: sink.name }, await this.log.deadLetters.count(sink.name));
    }
    await this.recordCheckpoints();
    for (const task of this.tasks.values()) {
      const lag = await this.log.stats.sinkLag(task.claim.sink, task.claim.partition, task.position, 1000);
      const labels = { sink: task.claim.sink, partition: String(task.claim.partition) };
      sinkMetrics.lagEntries.set(labels, lag.entries);
      sinkMetrics.lagBytes.set(labels, Number(lag.bytes));
      sinkMetrics.lagSeconds.set(labels, lag.seconds);
      sinkMetrics.degraded.set(labels, this.isDegraded(task) ? 1 : 0);
    }
  }
}
