import type { Pool } from 'pg';
import type { DistributaryConfig } from '@distributary/config';
import {
  ConfigError,
  SourceShapeError,
  backoffDelay,
  formatLsn,
  instanceId,
  sleep,
  type Lsn,
} from '@distributary/core';
import {
  AppendChain,
  ChangeLog,
  ConnectorLease,
  LogAppender,
  LogKeys,
  PartitionCountMismatchError,
  connectRedis,
  detectDurability,
  type RedisClient,
} from '@distributary/changelog';
import { createLogger, processCpuMs, retryLogLevel, type Logger } from '@distributary/observability';
import {
  SnapshotCoordinator,
  initialSnapshotRecord,
  initialSnapshotState,
  requestSnapshot,
} from '@distributary/control';
import {
  OwnBackends,
  SlotUnusableError,
  TypeResolver,
  WaitWatch,
  assertTablesHaveKeys,
  classifySlotError,
  createSlotWithExportedSnapshot,
  describeBackendWait,
  describeTable,
  describeWait,
  ensurePublication,
  ensureSlot,
  isSlotCreation,
  pgReason,
  readSlot,
  reportWhileWaiting,
  type ExportedSlot,
  type SlotHealth,
} from '@distributary/pg-catalog';
import type { LogicalMessage } from '@distributary/pg-protocol';
import { runInitialSnapshot } from '@distributary/pg-snapshot';
import { connectorMetrics } from './connector-metrics';
import { ConnectorStatus } from './connector-status';
import { errorText } from './error-text';
import { renewWhileLeading } from './lease-renewal';
import { Heartbeats } from './heartbeats';
import { ReplicationSession } from './replication-session';
import { RowCache } from './row-cache';
import { SchemaWatch } from './slot-recovery/schema-watch';
import { SlotRecovery } from './slot-recovery/slot-recovery';
import { skipAppendedSeqs } from './slot-recovery/resume-seq';
import { SourcePools } from './source-pools';
import { WaitBoard } from './wait-board';
import { WalStream } from './wal-stream';
import { within } from './within';

export interface ConnectorOptions {
  config: DistributaryConfig;
  logger?: Logger;
  /** Unique id of this instance (lease owner); default host:pid:random (core's instanceId()). */
  instanceId?: string;
  /**
   * Every logical message with Distributary's prefix, in stream order: snapshot watermarks,
   * heartbeats, and any other message emitted under the prefix.
   */
  onLogicalMessage?: (message: LogicalMessage) => Promise<void> | void;
  /** Every LSN confirmed to PostgreSQL: everything before it is durably in the log. */
  onConfirmed?: (lsn: Lsn) => void;
  /** Runs when the slot is created: read tables in the exported snapshot before streaming starts. */
  initialSnapshot?: (slot: ExportedSlot) => Promise<void>;
  /** Use this Redis connection for the log instead of connecting from config.log.redis. */
  redis?: RedisClient;
  /** stop() gives up (with a warning) after this long; default 20 s. */
  stopTimeoutMs?: number;
  /** Deadline on each log append; past it the session ends and resumes from the confirmed LSN (default 30 s). */
  appendTimeoutMs?: number;
}

/** How long a term's end waits for the snapshot-job worker to close. */
const COORDINATOR_STOP_MS = 5000;
/** How long a term's end waits for a status publication (and schema check) in progress. */
const STATUS_STOP_MS = 5000;
/** Default bound on stop(): the session's last appends, the term's end, the lease release. */
const DEFAULT_STOP_TIMEOUT_MS = 20_000;

export type ConnectorRole = 'starting' | 'standby' | 'leader' | 'stopped';

class SnapshotInterruptedError extends Error {
  constructor() {
    super('the initial snapshot was interrupted by a stop; it resumes at the next start');
    this.name = 'SnapshotInterruptedError';
  }
}

function isFatal(error: unknown): boolean {
  return (
    error instanceof SourceShapeError ||
    error instanceof ConfigError ||
    error instanceof PartitionCountMismatchError ||
    error instanceof SlotUnusableError
  );
}

/**
 * The connector: WAL of one slot → the change log. One active instance per slot: the leader holds
 * the connector lease (see ConnectorLease for the fencing rule) and streams; others wait as standby
 * and take over when the lease expires. A leader whose renewal fails stops streaming at once.
 * Bad source shape or configuration is fatal (run() rejects); everything else is retried with
 * backoff, visibly, forever — except a slot that can never be read again (lost, dropped, publication
 * gone): that is handed to SlotRecovery (source.onSlotLost: re-sync, or stop with the reason).
 */
export class Connector {
  readonly instanceId: string;
  private readonly logger: Logger;
  private readonly keys: LogKeys;
  private readonly redis: RedisClient;
  /** The change log on the shared connection. */
  private readonly log: ChangeLog;
  private readonly ownsRedis: boolean;
  /** The lease's own connection (see the constructor). */
  private readonly leaseRedis: RedisClient;
  private readonly lease: ConnectorLease;
  private readonly rowCache: RowCache;
  private readonly stopController = new AbortController();
  private session: ReplicationSession | null = null;
  private readonly pools: SourcePools;
  private readonly heartbeats: Heartbeats;
  private readonly status: ConnectorStatus;
  private running: Promise<void> | null = null;
  private roleValue: ConnectorRole = 'starting';
  private confirmed: Lsn = 0n;
  private statusWrite: Promise<void> = Promise.resolve();
  private readonly recovery: SlotRecovery;
  /** Heartbeats handled but not yet confirmed: (LSN, emission time), oldest first. */
  /** Our pools' backend pids, and what they (or our walsender) wait for: logs, status, /health. */
  private readonly backends = new OwnBackends();
  private readonly waits: WaitBoard;

  constructor(private readonly options: ConnectorOptions) {
    const { config } = options;
    this.instanceId = options.instanceId ?? instanceId();
    this.logger = (options.logger ?? createLogger('connector')).child({ slot: config.source.postgres.slot });
    this.keys = new LogKeys(config.log.namespace);
    this.ownsRedis = !options.redis;
    this.redis = options.redis ?? connectRedis(config.log.redis);
    // The lease renews on its own connection. On the shared one a renewal queued behind up to
    // maxInFlightBytes of appends; under a large transaction on a loaded log Redis (AOF fsync
    // always) that took longer than the TTL and the leader lost its lease (chaos --full, load ~20).
    this.leaseRedis = this.redis.duplicate();
    let lastReported = 0;
    const reportError = (error: unknown): void => {
      if (Date.now() - lastReported < 5000) return;
      lastReported = Date.now();
      this.logger.warn({ error: errorText(error) }, 'log Redis connection error (retrying)');
    };
    if (this.ownsRedis) this.redis.on('error', reportError);
    this.leaseRedis.on('error', reportError);
    this.lease = new ConnectorLease(this.leaseRedis, this.keys, this.instanceId, {
      ttlMs: config.source.connector.leaseTtl,
    });
    this.rowCache = new RowCache(config.source.connector.rowCache);
    this.log = new ChangeLog(this.redis, this.keys, config.log.partitions);
    this.waits = new WaitBoard(this.log, this.logger);
    this.pools = new SourcePools(config.source.postgres.url, this.backends, this.logger);
    this.heartbeats = new Heartbeats(this.logger);
    this.status = new ConnectorStatus({
      log: this.log,
      slot: config.source.postgres.slot,
      warnAt: config.source.slotWarnAt,
      instanceId: this.instanceId,
      heartbeats: this.heartbeats,
      logger: this.logger,
    });
    this.recovery = new SlotRecovery({
      log: this.log,
      slot: config.source.postgres.slot,
      policy: config.source.onSlotLost,
      tables: config.source.tables,
      logger: this.logger,
    });
  }

  /** The slot's health as last read by this instance (the leader reads it every statusEvery). */
  get lastSlotHealth(): SlotHealth | undefined {
    return this.status.slotHealth;
  }

  get role(): ConnectorRole {
    return this.roleValue;
  }

  get confirmedLsn(): Lsn {
    return this.confirmed;
  }

  /** Starts (once) and resolves when stopped; rejects on a fatal error. */
  run(): Promise<void> {
    this.running ??= this.loop().finally(() => this.setRole('stopped'));
    return this.running;
  }

  /** Graceful stop: finish the batch in flight, confirm what is durable, release the lease. */
  async stop(): Promise<void> {
    const ending = (async () => {
      if (!this.stopController.signal.aborted) {
        this.stopController.abort();
        await this.session
          ?.stop()
          .catch((error: unknown) => this.logger.warn({ error: errorText(error) }, 'stop: session end failed'));
      }
      await this.running?.catch(() => undefined);
      await this.statusWrite;
    })();
    // Bounded: giving up is safe (nothing more is confirmed; PostgreSQL resends from the confirmed LSN).
    const waitedMs = this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    if (!(await within(ending, waitedMs)))
      this.logger.warn(
        { waitedMs },
        'stop: the connector did not end in time; giving up (the next leader resumes from the confirmed LSN)',
      );
    if (this.ownsRedis) this.redis.disconnect();
    this.leaseRedis.disconnect();
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  private async loop(): Promise<void> {
    const { connector } = this.options.config.source;
    let attempt = 0;
    while (!this.stopping) {
      let token: number | null = null;
      try {
        token = await this.lease.tryAcquire();
      } catch (error) {
        this.logger.warn({ error: errorText(error) }, 'cannot reach the log Redis for the connector lease; retrying');
        await sleep(backoffDelay(attempt++, { capMs: 5000 }), this.stopController.signal);
        continue;
      }
      if (token === null) {
        if (this.roleValue !== 'standby') this.logger.info('standby: another instance holds the connector lease');
        this.setRole('standby');
        await sleep(connector.leaseRenew, this.stopController.signal);
        continue;
      }
      try {
        await this.lead(token);
        attempt = 0;
      } catch (error) {
        // A stop interrupted this term (e.g. the re-snapshot between two chunks): nothing to retry.
        if (this.stopping && !isFatal(error)) break;
        const problem = isFatal(error) ? null : classifySlotError(error);
        if (problem && !this.stopping) {
          // Permanent: retrying cannot help. Re-sync (or stop) instead of looping on the error.
          try {
            await this.recovery.onUnusable(this.pools.catalog(), problem, pgReason(error));
            // Fresh pools: the re-snapshot sizes its own (a pool sized for streaming would deadlock it).
            await this.pools.close();
            attempt = 0;
            continue;
          } catch (policyError) {
            error = policyError;
          }
        }
        if (isFatal(error)) {
          this.logger.error({ error: errorText(error) }, 'connector cannot start');
          await this.lease.release().catch(() => undefined);
          await this.pools.close();
          throw error;
        }
        const delay = backoffDelay(attempt++, { capMs: 5000 });
        this.logger[retryLogLevel(attempt)](
          { error: errorText(error), retryInMs: delay },
          'replication session ended; retrying',
        );
        await sleep(delay, this.stopController.signal);
      }
    }
    await this.lease.release().catch(() => undefined);
    await this.pools.close();
  }

  /** One term as leader: prepare the source, stream until stopped, failed or the lease is lost. */
  private async lead(token: number): Promise<void> {
    const { config } = this.options;
    const { connector, postgres } = config.source;
    this.logger.info(
      { instance: this.instanceId, fence: token, cpuMs: processCpuMs() },
      'acquired the connector lease: leading',
    );
    this.setRole('leader');
    const renewTimer = renewWhileLeading(this.lease, connector.leaseTtl, connector.leaseRenew, (reason) =>
      this.loseLease(reason),
    );
    const timers: NodeJS.Timeout[] = [renewTimer];
    let coordinator: SnapshotCoordinator | undefined;
    let waitWatch: WaitWatch | undefined;
    try {
      const pool = this.pools.catalog();
      waitWatch = await this.watchWaits();
      const appender = new LogAppender(this.redis, this.keys, config.log.partitions);
      await appender.ensurePartitionCount();
      await assertTablesHaveKeys(pool, config.source.tables);
      const publication = await ensurePublication(pool, postgres.publication, config.source.tables);
      const types = new TypeResolver(pool);
      const health = await this.status.checkSlot(pool);
      if (health.state === 'lost') {
        this.logger.error({ reason: health.reason }, 'the replication slot is lost');
        await this.recovery.onUnusable(pool, 'lost', health.reason ?? 'wal_status lost', health.confirmedFlushLsn);
      }
      await this.recovery.restartUnstartedSnapshot(pool);
      const slotCreated = await this.ensureSlot(pool, appender, types);
      if (!slotCreated && publication.added.length && postgres.snapshot === 'initial') {
        // Tables added to the configuration after the slot existed: their rows so far come from an
        // incremental snapshot (run by this leader once streaming), their changes from the stream.
        this.logger.info({ tables: publication.added }, 'tables added to the publication: snapshotting them');
        for (const table of publication.added)
          await requestSnapshot(this.redis, this.keys, { table, reason: 'config: table added' });
      }
      if (publication.removed.length)
        this.logger.info({ tables: publication.removed }, 'tables removed from the publication');
      if ((await initialSnapshotState(this.redis, this.keys)).state === 'running') {
        this.logger.warn('the initial snapshot was interrupted: resuming after its last appended chunk');
        await skipAppendedSeqs(this.redis, this.keys, config.log.partitions);
        await this.initialSnapshot(appender, types);
      }
      await this.recovery.finish(async (events) => void (await appender.append(events, [])));
      const schemaWatch = new SchemaWatch({
        pool,
        redis: this.redis,
        keys: this.keys,
        tables: config.source.tables,
        policy: config.source.onSchemaChange,
        byTable: config.source.onSchemaChangeByTable,
        logger: this.logger,
      });
      await schemaWatch.check();
      const durability = await detectDurability(this.redis);
      if (durability.warning) this.logger.error({ aof: durability.mode }, durability.warning);
      else this.logger.info({ aof: durability.mode, holdBackMs: durability.holdBackMs }, 'log durability');
      const slot = await readSlot(pool, postgres.slot);
      if (this.stopping) return;
      this.logger.info({ from: formatLsn(slot?.confirmedFlushLsn ?? 0n) }, 'streaming');
      this.rowCache.clear();
      const snapshots = new SnapshotCoordinator({
        redis: this.redis,
        keys: this.keys,
        pool: this.pools.raw(),
        types,
        logger: this.logger,
      });
      coordinator = snapshots;
      const session = new ReplicationSession(
        {
          batchSize: connector.batchSize,
          toastScan: connector.toastScan,
          startLsn: slot?.confirmedFlushLsn ?? 0n,
          holdBackMs: durability.holdBackMs,
          appendTimeoutMs: this.options.appendTimeoutMs,
        },
        {
          log: this.log,
          appender,
          pool: this.pools.raw(),
          types,
          observer: snapshots,
          primaryKeyOf: async (table) => (await describeTable(pool, table)).primaryKey,
          rowCache: this.rowCache,
          logger: this.logger,
          openStream: (handlers) =>
            new WalStream({ url: postgres.url, slot: postgres.slot, publication: postgres.publication }, handlers),
          onLogicalMessage: (message) => {
            this.heartbeats.observe(message);
            return this.options.onLogicalMessage?.(message);
          },
          onConfirmed: (lsn) => {
            this.confirmed = lsn;
            // Everything committed before a confirmed heartbeat was emitted is in the log.
            this.heartbeats.confirmed(lsn);
            connectorMetrics.confirmedLsn.set({ slot: postgres.slot }, Number(lsn));
            this.options.onConfirmed?.(lsn);
          },
        },
      );
      this.session = session;
      this.confirmed = slot?.confirmedFlushLsn ?? 0n;
      timers.push(setInterval(() => void this.heartbeats.emit(pool), postgres.heartbeat));
      // One publication at a time: overlapping ones queued without bound on the 2-connection catalog
      // pool (ahead of the stream's own catalog lookups), and pg-pool's end() never settles a query
      // still waiting in its queue — a stop then waited forever for that publication.
      let publishing = false;
      const publish = (): void => {
        if (publishing) return;
        publishing = true;
        this.statusWrite = this.status
          .publish(pool, token, this.confirmed)
          .then(() =>
            schemaWatch.check().then(
              () => undefined,
              (error: unknown) => {
                if (error instanceof SourceShapeError) session.abort(error);
                else this.logger.warn({ error: errorText(error) }, 'schema check failed');
              },
            ),
          )
          .finally(() => (publishing = false));
      };
      timers.push(setInterval(publish, connector.statusEvery));
      publish();
      await snapshots.start();
      await session.run();
    } finally {
      for (const timer of timers) clearInterval(timer);
      // The pools may be closed next: let the publication in progress finish on them first.
      if (!(await within(this.statusWrite, STATUS_STOP_MS)))
        this.logger.warn({ waitedMs: STATUS_STOP_MS }, 'connector status publication did not finish; moving on');
      if (coordinator) await this.stopCoordinator(coordinator);
      await waitWatch?.stop();
      this.session = null;
      if (this.roleValue === 'leader') this.setRole(this.stopping ? 'stopped' : 'standby');
    }
  }

  /**
   * Stops the snapshot-job worker, bounded: BullMQ's worker.close() never returns while the log Redis
   * is unreachable, which would keep this term (and a SIGTERM) from ending. The job it may leave
   * behind stays 'running' and is queued again by the next leader.
   */
  private async stopCoordinator(coordinator: SnapshotCoordinator): Promise<void> {
    const stopped = coordinator.stop().then(
      () => true,
      (error: unknown) => {
        this.logger.warn({ error: errorText(error) }, 'snapshot jobs: stop failed');
        return true;
      },
    );
    const inTime = await within(stopped, COORDINATOR_STOP_MS);
    if (!inTime) this.logger.warn({ waitedMs: COORDINATOR_STOP_MS }, 'snapshot jobs: worker did not close; moving on');
  }

  private loseLease(reason: string): void {
    if (!this.session || this.roleValue !== 'leader') return;
    this.logger.error({ reason }, 'lost the connector lease: stopping streaming now');
    this.setRole('standby');
    this.session.abort(new Error(reason));
  }

  /** Creates the slot when missing (with the initial snapshot); true when it was created now. */
  private async ensureSlot(pool: Pool, appender: LogAppender, types: TypeResolver): Promise<boolean> {
    const { postgres } = this.options.config.source;
    const existing = await readSlot(pool, postgres.slot);
    if (existing) return false;
    // A missing slot while the log holds data is a gap (dropped slot, or `distributary resync`).
    if (!(await this.recovery.running()) && (await this.recovery.logHasData()))
      await this.recovery.onUnusable(
        pool,
        'dropped',
        `replication slot "${postgres.slot}" does not exist although the change log holds data (dropped?)`,
      );
    const resyncing = Boolean(await this.recovery.running());
    if (postgres.snapshot === 'initial' || resyncing) {
      const exported = await this.reportingWait(
        pool,
        `creating replication slot ${postgres.slot}`,
        createSlotWithExportedSnapshot(postgres.url, postgres.slot),
      );
      try {
        this.logger.info({ consistentPoint: formatLsn(exported.consistentPointLsn) }, 'created slot; initial snapshot');
        await this.recovery.slotCreated(exported.consistentPointLsn);
        if (this.options.initialSnapshot) await this.options.initialSnapshot(exported);
        else await this.initialSnapshot(appender, types, exported);
      } finally {
        await exported.release();
      }
      return true;
    }
    this.logger.info('creating replication slot (waits for running transactions to finish)');
    await this.reportingWait(pool, `creating replication slot ${postgres.slot}`, ensureSlot(pool, postgres.slot));
    this.logger.info('created replication slot');
    return true;
  }

  /**
   * Slot creation waits for every transaction holding an xid in the cluster: say what it waits for,
   * and since when, in the log (every 10 s) and in the connector state (`distributary status`).
   */
  private reportingWait<T>(pool: Pool, what: string, work: Promise<T>): Promise<T> {
    return reportWhileWaiting(
      pool,
      what,
      work,
      (wait) => this.waits.set('slot', wait ? [{ description: describeWait(wait), since: wait.since }] : []),
      10_000,
    );
  }

  /**
   * Watches, for this term, what our own backends wait for inside PostgreSQL — a lock another session
   * holds (a snapshot or re-read blocked by a table lock, CREATE/ALTER PUBLICATION behind a long
   * transaction), a commit waiting for a lagging synchronous standby — and reports it on the wait
   * board. Slot creation is left to reportingWait, which names the transactions it waits for.
   */
  private async watchWaits(): Promise<WaitWatch> {
    await this.waits.clear();
    return new WaitWatch({
      url: this.options.config.source.postgres.url,
      slot: this.options.config.source.postgres.slot,
      backends: this.backends,
      onChange: (waits) =>
        this.waits.set(
          'locks',
          waits
            .filter((wait) => !isSlotCreation(wait))
            .map((wait) => ({ description: describeBackendWait(wait), since: wait.since })),
        ),
    }).start();
  }

  /**
   * Reads every published table in the slot's exported snapshot (or, resuming after a crash, after the
   * last appended chunk) and appends the rows at the consistent point, before streaming starts.
   */
  private async initialSnapshot(appender: LogAppender, types: TypeResolver, exported?: ExportedSlot): Promise<void> {
    const { config } = this.options;
    let lastLog = 0;
    // The snapshot holds one connection per table reader for its whole run: a smaller pool left from
    // an earlier term (streaming needs 2) would deadlock it.
    const needed = config.source.snapshot.connections + 1;
    const chain = new AppendChain();
    await this.pools.dropRawSmallerThan(needed);
    const result = await runInitialSnapshot({
      pool: this.pools.raw(needed),
      types,
      tables: config.source.tables,
      lsn: exported?.consistentPointLsn ?? 0n,
      snapshotName: exported?.snapshotName,
      onSnapshotImported: async () => exported?.release(),
      // Two chunks' appends in flight (the next is encoded while Redis runs the previous), on one
      // AppendChain: they reach each stream in call order and a later call never lands after an
      // earlier failed one; the snapshot records a chunk only once it and every earlier one are in.
      appendDepth: 2,
      append: async (events) => {
        // A stop ends the snapshot between two chunks; it stays 'running' and resumes at the next start.
        if (this.stopping) throw new SnapshotInterruptedError();
        const batch = appender.newBatch();
        for (const event of events) batch.addEvent(event);
        await appender.write(batch, chain);
      },
      // On the lease's connection, not the appender's: there each chunk's HSET waited behind the
      // appends in flight, so the next append (issued once it returns) left the log Redis idle while
      // it was encoded. Written only after its chunk's append resolved, as before.
      state: initialSnapshotRecord(this.leaseRedis, this.keys),
      concurrency: config.source.snapshot.connections,
      chunkSize: config.source.snapshot.chunkSize,
      maxBytesInFlight: config.source.snapshot.bytesInFlight,
      logger: this.logger,
      onProgress: (progress) => {
        if (Date.now() - lastLog < 5000) return;
        lastLog = Date.now();
        this.logger.info(progress, 'initial snapshot progress');
        void this.recovery.progress(progress.rowsDone, progress.estimatedTotal).catch(() => undefined);
      },
    });
    this.logger.info(result, 'initial snapshot complete');
  }

  private setRole(role: ConnectorRole): void {
    this.roleValue = role;
    connectorMetrics.leader.set({ slot: this.options.config.source.postgres.slot }, role === 'leader' ? 1 : 0);
  }
}
