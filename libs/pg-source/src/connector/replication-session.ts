import type { Pool } from 'pg';
import { canonicalKey, positionToId, type ChangeEvent, type Lsn, type Row } from '@distributary/core';
import {
  ConfirmationGate,
  findLatestEventOfKey,
  type LogAppender,
  type LogKeys,
  type RedisClient,
  type TxMarkerInput,
} from '@distributary/changelog';
import type { Logger } from '@distributary/observability';
import { ChangeDecoder, type DecodedChange } from '../change-decoder';
import type { LogicalMessage, PgoutputMessage } from '../pgoutput-messages';
import { rereadRow } from '../row-reader';
import { fillUnchangedToast } from '../toast-fill';
import type { TypeResolver } from '../types/type-resolver';
import { WalStream } from '../wal-stream';
import { connectorMetrics } from './connector-metrics';
import type { RowCache } from './row-cache';

/**
 * One leader's replication session: WAL → decoded events → log, then confirmation.
 * THE DURABILITY RULE lives here and in ConfirmationGate: a commit's end LSN (or an idle keepalive /
 * heartbeat LSN) is handed to the gate only after the append covering every event before it resolved;
 * the gate confirms it to PostgreSQL once durable. A failure anywhere ends the session before any
 * later confirmation: PostgreSQL resends from the confirmed LSN and the idempotent append drops what
 * the log already holds — no gap, no duplicate.
 * Memory stays bounded: events are appended every `batchSize` even inside a transaction (they carry
 * the final commit LSN from BEGIN), and the replication socket is paused while an append runs.
 */
export const DISTRIBUTARY_MESSAGE_PREFIX = 'distributary';

export interface SessionOptions {
  url: string;
  slot: string;
  publication: string;
  batchSize: number;
  toastScan: number;
  /** The slot's confirmed_flush_lsn when the session started (what we report until we confirm more). */
  startLsn: Lsn;
  holdBackMs: number;
}

export interface SessionDeps {
  redis: RedisClient;
  keys: LogKeys;
  appender: LogAppender;
  pool: Pool;
  types: TypeResolver;
  primaryKeyOf: (table: string) => Promise<string[]>;
  rowCache: RowCache;
  logger: Logger;
  onWatermark?: (message: LogicalMessage) => Promise<void> | void;
  onConfirmed: (lsn: Lsn) => void;
  /** Sees the stream as it is appended (incremental snapshots' watermark window). */
  observer?: StreamObserver;
}

/**
 * Hooks for code that must act in stream order: observe() sees every data event before it is appended;
 * onMessage() may return events to append at a 'distributary' logical message's position (the rows
 * of an incremental-snapshot chunk at its high watermark); durableThrough() follows confirmations.
 */
export interface StreamObserver {
  observe(event: ChangeEvent): void;
  onMessage(prefix: string, content: string, lsn: Lsn): ChangeEvent[];
  durableThrough(lsn: Lsn): void;
}

export class ReplicationSession {
  private readonly stream: WalStream;
  private readonly decoder: ChangeDecoder;
  private readonly gate: ConfirmationGate;
  private batch: ChangeEvent[] = [];
  private markers: TxMarkerInput[] = [];
  private pendingConfirm: Lsn | null = null;
  private txEvents = 0;
  private beginPending = false;
  private failure: Error | null = null;
  private closing = false;
  private current: Promise<void> = Promise.resolve();
  private statusTimer: NodeJS.Timeout | null = null;
  private reported: Lsn;

  constructor(
    private readonly options: SessionOptions,
    private readonly deps: SessionDeps,
  ) {
    this.reported = options.startLsn;
    this.decoder = new ChangeDecoder(deps.types, deps.primaryKeyOf);
    this.gate = new ConfirmationGate(options.holdBackMs, (lsn) => this.confirm(lsn));
    this.stream = new WalStream(
      { url: options.url, slot: options.slot, publication: options.publication },
      {
        onMessage: (message) => {
          if (this.closing || this.failure) return Promise.resolve();
          this.current = this.handle(message);
          return this.current;
        },
        onKeepalive: (lsn, shouldRespond) => this.keepalive(lsn, shouldRespond),
        onError: (error) => this.fail(error),
      },
    );
  }

  /** Streams until stop()/abort() or a failure; rejects with the failure. */
  async run(): Promise<void> {
    // Standby status updates keep wal_sender_timeout happy while nothing new is confirmed.
    this.statusTimer = setInterval(() => void this.stream.sendFlushed(this.reported).catch(() => undefined), 2000);
    try {
      await this.stream.run();
      await this.current.catch(() => undefined);
    } catch (error) {
      if (!this.failure && !this.closing) this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      if (this.statusTimer) clearInterval(this.statusTimer);
    }
    if (this.failure) throw this.failure;
  }

  /** SIGTERM path: finish the message in flight, append the batch, confirm what is durable, end. */
  async stop(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      await this.current.catch(() => undefined);
      if (!this.failure) {
        await this.flush();
        await this.gate.drain();
        await this.stream.sendFlushed(this.reported);
      }
    } finally {
      this.gate.close();
      await this.stream.stop();
    }
  }

  /** Ends at once without confirming anything more (lease lost, fatal error). */
  abort(reason: Error): void {
    this.fail(reason);
  }

  get confirmed(): Lsn {
    return this.reported;
  }

  private fail(error: Error): void {
    if (this.failure || this.closing) return;
    this.failure = error;
    this.gate.close();
    void this.stream.stop();
  }

  private confirm(lsn: Lsn): void {
    if (this.failure || lsn <= this.reported) return;
    this.reported = lsn;
    void this.stream.sendFlushed(lsn).catch(() => undefined);
    this.deps.onConfirmed(lsn);
    this.deps.observer?.durableThrough(lsn);
  }

  private keepalive(lsn: Lsn, shouldRespond: boolean): void {
    const idle =
      this.stream.caughtUp &&
      !this.decoder.transaction &&
      this.batch.length === 0 &&
      this.markers.length === 0 &&
      this.pendingConfirm === null;
    // Everything the server sent before this keepalive is handled and appended: its LSN is safe.
    if (idle) this.gate.durable(lsn);
    if (shouldRespond) void this.stream.sendFlushed(this.reported).catch(() => undefined);
  }

  private async handle(message: PgoutputMessage): Promise<void> {
    switch (message.tag) {
      case 'relation':
        await this.decoder.relation(message);
        return;
      case 'begin':
        this.decoder.begin(message);
        this.txEvents = 0;
        this.beginPending = true;
        return;
      case 'insert':
        return this.add(this.decoder.insert(message));
      case 'update':
        return this.add(this.decoder.update(message));
      case 'delete':
        return this.add(this.decoder.delete(message));
      case 'truncate':
        return this.add(this.decoder.truncate(message));
      case 'commit': {
        const tx = this.decoder.commit();
        if (tx && this.txEvents > 0)
          this.markers.push({
            commitLsn: tx.commitLsn,
            marker: { kind: 'commit', xid: tx.xid, commitTs: tx.commitTs, events: this.txEvents },
          });
        this.beginPending = false;
        this.pendingConfirm = message.endLsn;
        // Many small transactions queued behind this one: keep batching them into one append.
        if (this.stream.backlog <= 1 || this.batch.length + this.markers.length >= this.options.batchSize)
          await this.flush();
        return;
      }
      case 'message':
        return this.logicalMessage(message);
      case 'type':
      case 'origin':
        return;
    }
  }

  private async logicalMessage(message: LogicalMessage): Promise<void> {
    if (message.prefix !== DISTRIBUTARY_MESSAGE_PREFIX) return;
    await this.flush();
    if (this.deps.onWatermark) await this.deps.onWatermark(message);
    const atThisPosition =
      this.deps.observer?.onMessage(message.prefix, message.content.toString('utf8'), message.lsn) ?? [];
    if (atThisPosition.length) {
      this.batch.push(...atThisPosition);
      await this.flush();
    }
    if (!message.transactional && !this.decoder.transaction) this.gate.durable(message.lsn);
  }

  private async add(changes: DecodedChange[]): Promise<void> {
    const tx = this.decoder.transaction;
    if (tx && this.beginPending) {
      this.markers.push({ commitLsn: tx.commitLsn, marker: { kind: 'begin', xid: tx.xid, commitTs: tx.commitTs } });
      this.beginPending = false;
    }
    for (const change of changes) {
      const event = await fillUnchangedToast(change, {
        latestLogged: (table, key, ev) => this.latestLogged(table, key, ev),
        reread: (c) => rereadRow(this.deps.pool, this.decoder, c.relation, c.lookupKey ?? c.event.key),
        latestLoggedExhaustive: (table, key, ev) => this.latestLogged(table, key, ev, Number.MAX_SAFE_INTEGER),
      });
      for (const entry of event.filled ?? []) connectorMetrics.toastFilled.inc({ source: entry.split(':').pop() });
      this.deps.observer?.observe(event);
      this.batch.push(event);
      this.deps.rowCache.remember(event);
      this.txEvents++;
    }
    if (this.batch.length >= this.options.batchSize) await this.flush();
  }

  private async latestLogged(
    table: string,
    key: Row,
    event: ChangeEvent,
    scanLimit = this.options.toastScan,
  ): Promise<Row | undefined> {
    const cached = this.deps.rowCache.get(table, key);
    if (cached) return cached;
    const wanted = canonicalKey(table, key);
    for (let i = this.batch.length - 1; i >= 0; i--) {
      const candidate = this.batch[i];
      if (candidate.table === table && canonicalKey(candidate.table, candidate.key) === wanted) return candidate.after;
    }
    if (scanLimit === 0) return undefined;
    const partition = this.deps.appender.partitionOf({ table, key });
    const found = await findLatestEventOfKey(
      this.deps.redis,
      this.deps.keys.partition(partition),
      table,
      key,
      positionToId(event.pos),
      scanLimit,
      scanLimit > this.options.toastScan ? 1000 : undefined,
    );
    return found && found.op !== 'd' ? found.after : undefined;
  }

  private async flush(): Promise<void> {
    if (this.batch.length || this.markers.length) {
      const events = this.batch;
      const markers = this.markers;
      this.batch = [];
      this.markers = [];
      const stopTimer = connectorMetrics.appendSeconds.startTimer();
      const started = Date.now();
      // A log Redis that is down makes the append wait (ioredis queues and reconnects) while the
      // replication socket stays paused: backpressure, nothing dropped — and said so every 5 s.
      const slow = setInterval(
        () =>
          this.deps.logger.warn(
            { waitingMs: Date.now() - started, events: events.length },
            'log append is waiting for Redis',
          ),
        5000,
      );
      let result: Awaited<ReturnType<LogAppender['append']>>;
      try {
        result = await this.deps.appender.append(events, markers);
      } finally {
        clearInterval(slow);
      }
      stopTimer();
      for (const event of events) connectorMetrics.events.inc({ op: event.op });
      if (result.absent.length) {
        connectorMetrics.absentOnReplay.inc(result.absent.length);
        this.deps.logger.error(
          { absent: result.absent.slice(0, 20), count: result.absent.length },
          'replayed entries are below the stream top but not in the log (compacted away, or a gap)',
        );
      }
      if (result.duplicates) {
        connectorMetrics.duplicates.inc(result.duplicates);
        this.deps.logger.debug({ duplicates: result.duplicates }, 'entries already in the log (replay)');
      }
    }
    if (this.pendingConfirm !== null) {
      const lsn = this.pendingConfirm;
      this.pendingConfirm = null;
      this.gate.durable(lsn);
    }
  }
}
