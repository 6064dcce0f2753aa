import type { Pool } from 'pg';
import { canonicalKey, positionToId, type ChangeEvent, type Lsn, type Row } from '@distributary/core';
import {
  AppendChain,
  ConfirmationGate,
  type AppendBatch,
  type AppendResult,
  type ChangeLog,
  type LogAppender,
} from '@distributary/changelog';
import type { Logger } from '@distributary/observability';
import {
  ChangeDecoder,
  type DecodedChange,
  type TypeLookup,
  fillUnchangedToast,
  type ToastSources,
} from '@distributary/pg-decode';
import {
  DISTRIBUTARY_MESSAGE_PREFIX,
  decodeWatermark,
  type LogicalMessage,
  type PgoutputMessage,
  type WatermarkMessage,
} from '@distributary/pg-protocol';
import { rereadRow } from '@distributary/pg-catalog';
import { AppendWatch, DEFAULT_APPEND_TIMEOUT_MS, type AppendTimeoutError } from './append-watch';
import type { ChangeStream, OpenChangeStream } from './change-stream';
import { connectorMetrics } from './connector-metrics';
import type { RowCache } from './row-cache';
import { VisibilityGate } from './visibility-gate';
import { within } from './within';

/** Default bound on encoded bytes appended or batched but not yet durable. */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 4 * 1024 * 1024;

export interface SessionOptions {
  batchSize: number;
  toastScan: number;
  /** The slot's confirmed_flush_lsn when the session started (what we report until we confirm more). */
  startLsn: Lsn;
  holdBackMs: number;
  /** Encoded bytes not yet durable above which the replication socket is paused. */
  maxInFlightBytes?: number;
  /** Deadline on every append (default 30 s): past it the session fails with an AppendTimeoutError. */
  appendTimeoutMs?: number;
}

export interface SessionDeps {
  /** The change log (a TOASTed value's previous row is looked up in it). */
  log: ChangeLog;
  appender: LogAppender;
  pool: Pool;
  types: TypeLookup;
  primaryKeyOf: (table: string) => Promise<string[]>;
  rowCache: RowCache;
  logger: Logger;
  /** The WAL: WalStream on the slot (the connector), or a scripted stream (tests). Opened once, in the constructor. */
  openStream: OpenChangeStream;
  /** Every logical message with our prefix (heartbeats, watermarks, …), in stream order, once all before it is durable. */
  onLogicalMessage?: (message: LogicalMessage) => Promise<void> | void;
  onConfirmed: (lsn: Lsn) => void;
  /** Sees the stream as it is appended (incremental snapshots' watermark window). */
  observer?: StreamObserver;
}

/**
 * Hooks for code that must act in stream order: observe() sees every data event before it is appended;
 * onWatermark() may return events to append at a snapshot watermark's position (the rows
 * of an incremental-snapshot chunk at its high watermark); durableThrough() follows confirmations.
 */
export interface StreamObserver {
  observe(event: ChangeEvent): void;
  onWatermark(watermark: WatermarkMessage, lsn: Lsn): ChangeEvent[];
  durableThrough(lsn: Lsn): void;
}

/** The worst the session's back-pressure allowed so far. */
export interface FlowStats {
  /** Encoded bytes batched or appended but not yet durable, at their peak. */
  peakBytes: number;
  /** Appends in flight at their peak. */
  peakAppends: number;
  /** Times the replication socket was paused because of the byte bound. */
  pauses: number;
}

/** One append (or a bare confirmation) in LSN order; confirmed once it and all before it are done. */
interface InFlight {
  /** LSN that may be confirmed once this and every earlier append are durable. */
  lsn: Lsn | null;
  done: boolean;
  bytes: number;
  startedAt: number;
  /** Canonical keys and after-rows of its events (newest last): fills look here before the log. */
  keys: string[];
  afters: (Row | undefined)[];
}

/**
 * One leader's replication session: WAL → decoded events → log, then confirmation.
 *
 * PIPELINED CAPTURE. Messages are decoded synchronously as the socket delivers them and encoded
 * straight into the current append batch. A batch is sent when it reaches `batchSize` events, or at a
 * commit when no append is in flight (else when the append in flight completes: group commit). Several
 * appends may be in flight while decoding goes on; they are bounded by BYTES: once the encoded bytes not
 * yet durable exceed `maxInFlightBytes` the replication socket is paused, and resumed below half of it.
 * A message that needs I/O to be handled (a Relation's type lookups, a TOAST fill, a 'distributary'
 * logical message) also pauses the socket; later messages queue behind it, in order.
 *
 * THE DURABILITY RULE lives here and in ConfirmationGate: appends complete in any order (one pipeline
 * per cluster node), but a commit's end LSN (or an idle keepalive / heartbeat LSN) is handed to the
 * gate only once the append carrying it AND every append before it resolved — strictly in LSN order.
 * The gate confirms it to PostgreSQL once durable. A failure anywhere ends the session before any later
 * confirmation: PostgreSQL resends from the confirmed LSN and the idempotent append drops what the log
 * already holds — no gap, no duplicate.
 */
export class ReplicationSession {
  private readonly stream: ChangeStream;
  private readonly decoder: ChangeDecoder;
  private readonly gate: ConfirmationGate;
  private readonly toastSources: ToastSources;
  private readonly maxInFlightBytes: number;
  /** This session's appends, each continuing the previous one per stream (see AppendChain). */
  private readonly chain = new AppendChain();
  private batch: AppendBatch;
  private batchKeys: string[] = [];
  private batchAfters: (Row | undefined)[] = [];
  /** The xids of the transactions committed in the current batch, and the gate's ticket after the last. */
  private batchXids: number[] = [];
  private batchTicket = 0;
  /** Holds each append until its transactions are visible to new snapshots (see VisibilityGate). */
  private readonly visibility: VisibilityGate;
  /** The last append still waiting for visibility (later appends are issued after it), or null. */
  private issuing: Promise<void> | null = null;
  /**
   * Set when an append never went out (its wait for visibility failed): no later append may go out
   * either, even while the session is closing (fail() ignores errors then), or the log would have a gap.
   */
  private unsent: Error | null = null;
  private readonly inFlight: InFlight[] = [];
  private inFlightBytes = 0;
  /** What back-pressure held at its worst (tests and diagnostics). */
  private readonly flow: FlowStats = { peakBytes: 0, peakAppends: 0, pauses: 0 };
  private pendingConfirm: Lsn | null = null;
  private flushScheduled = false;
  private settledWaiters: (() => void)[] = [];
  /** Append requests not yet answered (success or failure), and who waits for none to be left. */
  private outstanding = 0;
  private outstandingWaiters: (() => void)[] = [];
  /** Messages received while one is being handled asynchronously (in order, from `queueHead`). */
  private queue: (PgoutputMessage | undefined)[] = [];
  private queueHead = 0;
  private blocked = false;
  private txEvents = 0;
  private beginPending = false;
  private failure: Error | null = null;
  private closing = false;
  private current: Promise<void> = Promise.resolve();
  private statusTimer: NodeJS.Timeout | null = null;
  private readonly watch: AppendWatch;
  private readonly appendTimeoutMs: number;
  private reported: Lsn;

  constructor(
    private readonly options: SessionOptions,
    private readonly deps: SessionDeps,
  ) {
    this.reported = options.startLsn;
    this.maxInFlightBytes = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
    this.appendTimeoutMs = options.appendTimeoutMs ?? DEFAULT_APPEND_TIMEOUT_MS;
    this.watch = new AppendWatch(
      this.appendTimeoutMs,
      () => this.oldestWaiting(),
      deps.logger,
      (error) => this.timedOut(error),
    );
    this.batch = deps.appender.newBatch();
    this.visibility = new VisibilityGate(deps.pool, deps.logger, () => this.failure !== null);
    this.decoder = new ChangeDecoder(deps.types, deps.primaryKeyOf);
    this.gate = new ConfirmationGate(options.holdBackMs, (lsn) => this.confirm(lsn));
    this.toastSources = {
      latestLogged: (table, key, event) => this.latestLogged(table, key, event),
      reread: (change) =>
        rereadRow(this.deps.pool, this.decoder, change.relation, change.lookupKey ?? change.event.key),
      latestLoggedExhaustive: (table, key, event) => this.latestLogged(table, key, event, Number.MAX_SAFE_INTEGER),
    };
    this.stream = deps.openStream({
      onMessage: (message) => this.receive(message),
      onKeepalive: (lsn, shouldRespond) => this.keepalive(lsn, shouldRespond),
      onError: (error) => this.fail(error),
    });
  }

  /** Streams until stop()/abort() or a failure; rejects with the failure. */
  async run(): Promise<void> {
    // Standby status updates keep wal_sender_timeout happy while nothing new is confirmed.
    this.statusTimer = setInterval(() => void this.stream.sendFlushed(this.reported).catch(() => undefined), 2000);
    // A log Redis that is down makes appends wait (ioredis queues and reconnects) while the replication
    // socket stays paused by the byte bound: backpressure, nothing dropped — said so every 5 s, and
    // ended past the append deadline.
    this.watch.start();
    try {
      await this.stream.run();
      await this.current.catch(() => undefined);
      // Even after a failure: this session's appends finish (or fail) before a next term appends —
      // waiting at most one more deadline. An append still unanswered after that cannot corrupt the
      // log if it lands later: each script call carries the end of this writer's previous call for
      // its stream (AppendChain) and appends nothing unless the stream reached it, and entry IDs are
      // WAL positions, so a late call either is refused (GAP), or only adds the entries the next
      // term would append there from the same WAL, or repeats them (refused as duplicates).
      if (!(await within(this.appendsDone(), this.appendTimeoutMs)))
        this.deps.logger.warn(
          { unanswered: this.outstanding, waitedMs: this.appendTimeoutMs },
          'appends of the ended session are still unanswered; moving on',
        );
    } catch (error) {
      if (!this.failure && !this.closing) this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      if (this.statusTimer) clearInterval(this.statusTimer);
      this.watch.stop();
    }
    if (this.failure) throw this.failure;
  }

  /** SIGTERM path: finish the message being handled, append the batch, confirm what is durable, end. */
  async stop(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      await this.current.catch(() => undefined);
      if (!this.failure) {
        this.flush();
        await this.settled();
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

  get flowStats(): FlowStats {
    return { ...this.flow };
  }

  private fail(error: Error, evenWhenClosing = false): void {
    if (this.failure || (this.closing && !evenWhenClosing)) return;
    this.failure = error;
    this.gate.close();
    for (const waiter of this.settledWaiters.splice(0)) waiter();
    void this.stream.stop();
  }

  private confirm(lsn: Lsn): void {
    if (this.failure || lsn <= this.reported) return;
    this.reported = lsn;
    void this.stream.sendFlushed(lsn).catch(() => undefined);
    this.deps.onConfirmed(lsn);
    this.deps.observer?.durableThrough(lsn);
  }

  // ---- message intake: synchronous unless a message needs I/O --------------------------------------

  private receive(message: PgoutputMessage): void {
    if (this.closing || this.failure) return;
    if (this.blocked) {
      this.queue.push(message);
      return;
    }
    this.dispatch(message);
  }

  private dispatch(message: PgoutputMessage): void {
    let pending: Promise<void> | undefined;
    try {
      pending = this.handle(message);
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (pending) {
      this.blocked = true;
      this.stream.pause();
      this.current = pending.then(
        () => this.unblock(),
        (error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))),
      );
    } else {
      this.applyBackpressure();
    }
  }

  /** The asynchronous step finished: handle what queued behind it, in order. */
  private unblock(): void {
    this.blocked = false;
    while (this.queueHead < this.queue.length && !this.blocked && !this.failure && !this.closing) {
      const message = this.queue[this.queueHead] as PgoutputMessage;
      this.queue[this.queueHead++] = undefined;
      this.dispatch(message);
    }
    if (this.queueHead >= this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
    this.applyBackpressure();
  }

  /** Pauses the socket above the byte bound (or while a message waits on I/O); resumes below half. */
  private applyBackpressure(): void {
    const bytes = this.inFlightBytes + this.batch.bytes;
    if (bytes > this.flow.peakBytes) this.flow.peakBytes = bytes;
    if (this.inFlight.length > this.flow.peakAppends) this.flow.peakAppends = this.inFlight.length;
    if (bytes > this.maxInFlightBytes) {
      if (!this.stream.isPaused) this.flow.pauses++;
      this.stream.pause();
    } else if (
      this.stream.isPaused &&
      !this.blocked &&
      this.queueHead >= this.queue.length &&
      bytes <= this.maxInFlightBytes / 2
    )
      this.stream.resume();
  }

  private keepalive(lsn: Lsn, shouldRespond: boolean): void {
    const idle =
      !this.blocked &&
      this.queueHead >= this.queue.length &&
      !this.decoder.transaction &&
      this.batch.empty &&
      this.pendingConfirm === null;
    // Everything the server sent before this keepalive is handled and handed to an append: its LSN is
    // safe once those appends are durable.
    if (idle) this.confirmAfterInFlight(lsn);
    if (shouldRespond) void this.stream.sendFlushed(this.reported).catch(() => undefined);
  }

  /** Returns a promise only when the message needs I/O; the common path allocates none. */
  private handle(message: PgoutputMessage): Promise<void> | undefined {
    switch (message.tag) {
      case 'relation':
        return this.decoder.relation(message).then(() => undefined);
      case 'begin':
        this.decoder.begin(message);
        this.txEvents = 0;
        this.beginPending = true;
        return undefined;
      case 'insert': {
        // The common case without wrappers; insert() when a value needs filling.
        const event = this.decoder.insertEvent(message);
        if (!event) return this.add(this.decoder.insert(message));
        this.beginMarker();
        this.push(event, true, this.decoder.lastCanonical);
        if (this.batchFull()) this.flush();
        return undefined;
      }
      case 'update':
        return this.add(this.decoder.update(message));
      case 'delete':
        return this.add(this.decoder.delete(message));
      case 'truncate':
        return this.add(this.decoder.truncate(message));
      case 'commit': {
        const tx = this.decoder.commit();
        if (tx && this.txEvents > 0) {
          this.batch.addMarker({
            commitLsn: tx.commitLsn,
            marker: { kind: 'commit', xid: tx.xid, commitTs: tx.commitTs, events: this.txEvents },
          });
          this.batchXids.push(tx.xid);
          this.batchTicket = this.visibility.decodedNow();
        }
        this.beginPending = false;
        this.pendingConfirm = message.endLsn;
        if (this.batchFull()) this.flush();
        else this.scheduleFlush();
        return undefined;
      }
      case 'message':
        return message.prefix === DISTRIBUTARY_MESSAGE_PREFIX ? this.logicalMessage(message) : undefined;
      case 'type':
      case 'origin':
        return undefined;
    }
  }

  private async logicalMessage(message: LogicalMessage): Promise<void> {
    // Whatever handles the message sees everything before it durably in the log.
    this.flush();
    await this.settled();
    if (this.failure) return;
    if (this.deps.onLogicalMessage) await this.deps.onLogicalMessage(message);
    const watermark = this.deps.observer ? decodeWatermark(message.content.toString('utf8')) : null;
    const atThisPosition = watermark ? (this.deps.observer?.onWatermark(watermark, message.lsn) ?? []) : [];
    if (atThisPosition.length) {
      for (const event of atThisPosition) this.push(event, false);
      this.flush();
      await this.settled();
    }
    if (!message.transactional && !this.decoder.transaction) this.confirmAfterInFlight(message.lsn);
  }

  /**
   * A batch is sent at `batchSize` events, or once it holds half the byte bound: big rows would
   * otherwise fill the bound before the batch is full, pause the socket, and wait forever for the
   * events (or the commit) that would send it.
   */
  private batchFull(): boolean {
    return this.batch.events >= this.options.batchSize || this.batch.bytes >= this.maxInFlightBytes / 2;
  }

  /** The transaction's begin marker goes before its first event. */
  private beginMarker(): void {
    if (!this.beginPending) return;
    const tx = this.decoder.transaction;
    if (!tx) return;
    this.batch.addMarker({ commitLsn: tx.commitLsn, marker: { kind: 'begin', xid: tx.xid, commitTs: tx.commitTs } });
    this.beginPending = false;
  }

  private add(changes: DecodedChange[]): Promise<void> | undefined {
    this.beginMarker();
    for (let i = 0; i < changes.length; i++) {
      const change = changes[i];
      if (change.unchanged.length > 0 && change.event.after) return this.addFilling(changes, i);
      this.push(change.event, true, change.canonical);
    }
    if (this.batchFull()) this.flush();
    return undefined;
  }

  /** The slow path: an unchanged TOAST value to fill (the log, the old tuple or a re-read). */
  private async addFilling(changes: DecodedChange[], from: number): Promise<void> {
    for (let i = from; i < changes.length; i++) {
      const change = changes[i];
      const event =
        change.unchanged.length > 0 && change.event.after
          ? await fillUnchangedToast(change, this.toastSources)
          : change.event;
      if (event === null) {
        // Superseded (see fillUnchangedToast): a later change removes the row and no sink holds it. The
        // snapshot window still sees that the key changed.
        this.deps.observer?.observe(change.event);
        connectorMetrics.toastSuperseded.inc();
        this.deps.logger.warn(
          { table: change.event.table, key: change.event.key, columns: change.unchanged },
          'skipped an update whose unchanged TOAST value no source holds: the row is gone from the source (a later change in the WAL removes it) and no version of it is in the log, so no sink holds it either',
        );
        continue;
      }
      for (const entry of event.filled ?? []) connectorMetrics.toastFilled.inc({ source: entry.split(':').pop() });
      this.push(event, true, change.canonical);
    }
    if (this.batchFull()) this.flush();
  }

  /** Encodes a decoded event into the batch; `fromStream` false for rows an observer adds (snapshot). */
  private push(event: ChangeEvent, fromStream = true, canonical?: string): void {
    if (fromStream) this.deps.observer?.observe(event);
    const key = this.batch.addEvent(event, canonical);
    this.batchKeys.push(key);
    this.batchAfters.push(event.after);
    if (!fromStream) return;
    this.deps.rowCache.remember(event, key);
    this.txEvents++;
  }

  private async latestLogged(
    table: string,
    key: Row,
    event: ChangeEvent,
    scanLimit = this.options.toastScan,
  ): Promise<Row | undefined> {
    const wanted = canonicalKey(table, key);
    const cached = this.deps.rowCache.getByKey(wanted);
    if (cached) return cached;
    // Not yet durable (this batch, then the appends in flight, newest first): everything else is in Redis.
    const inMemory = findNewest(this.batchKeys, this.batchAfters, wanted);
    if (inMemory) return inMemory.after;
    for (let i = this.inFlight.length - 1; i >= 0; i--) {
      const found = findNewest(this.inFlight[i].keys, this.inFlight[i].afters, wanted);
      if (found) return found.after;
    }
    if (scanLimit === 0) return undefined;
    const partition = this.deps.appender.partitionOf({ table, key });
    const found = await this.deps.log.read.latestOfKey(
      partition,
      table,
      key,
      positionToId(event.pos),
      scanLimit,
      scanLimit > this.options.toastScan ? 1000 : undefined,
    );
    return found && found.op !== 'd' ? found.after : undefined;
  }

  // ---- appends in flight and confirmations in LSN order --------------------------------------------

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      // Group commit: while an append is in flight, its completion sends what gathered meanwhile.
      if (this.inFlight.length === 0 && !this.failure) this.flush();
    });
  }

  /** Sends the current batch (and hands its pending confirmation to the ordered queue); never waits. */
  private flush(): void {
    if (this.failure) return;
    if (this.batch.empty) {
      if (this.pendingConfirm !== null) this.confirmAfterInFlight(this.pendingConfirm);
      this.pendingConfirm = null;
      return;
    }
    const batch = this.batch;
    const item: InFlight = {
      lsn: this.pendingConfirm,
      done: false,
      bytes: batch.bytes,
      startedAt: Date.now(),
      keys: this.batchKeys,
      afters: this.batchAfters,
    };
    const xids = this.batchXids;
    const ticket = this.batchTicket;
    this.pendingConfirm = null;
    this.batch = this.deps.appender.newBatch();
    this.batchKeys = [];
    this.batchAfters = [];
    this.batchXids = [];
    this.inFlight.push(item);
    this.inFlightBytes += item.bytes;
    connectorMetrics.appendsInFlight.set(this.inFlight.length);
    connectorMetrics.appendBytesInFlight.set(this.inFlightBytes);
    this.outstanding++;
    const write = (): Promise<void> => {
      const refused = this.failure ?? this.unsent;
      if (refused) return Promise.reject(refused); // an earlier append never went out
      item.startedAt = Date.now();
      const stopTimer = connectorMetrics.appendSeconds.startTimer();
      return this.deps.appender.write(batch, this.chain).then((result) => {
        stopTimer();
        this.appended(item, batch, result);
      });
    };
    let written: Promise<void>;
    if (this.issuing === null && this.visibility.visibleNow(xids)) written = write();
    else {
      // Appends go out in order: this one after the one still waiting, once its own commits are visible.
      item.startedAt = Number.MAX_SAFE_INTEGER; // the append deadline runs from the write, not this wait
      const issued = (this.issuing ?? Promise.resolve())
        .then(() => this.visibility.until(xids, ticket))
        .catch((error: unknown) => {
          this.unsent ??= error instanceof Error ? error : new Error(String(error));
          throw error;
        });
      const out = issued.then(
        () => undefined,
        () => undefined,
      );
      this.issuing = out;
      written = issued.then(write);
      void out.then(() => {
        if (this.issuing === out) this.issuing = null;
      });
    }
    written
      .catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))))
      .finally(() => {
        if (--this.outstanding === 0) for (const waiter of this.outstandingWaiters.splice(0)) waiter();
      });
    this.applyBackpressure();
  }

  private appended(item: InFlight, batch: AppendBatch, result: AppendResult): void {
    item.done = true;
    this.inFlightBytes -= item.bytes;
    connectorMetrics.appendBytesInFlight.set(this.inFlightBytes);
    for (const op of ['c', 'u', 'd', 'r', 't'] as const)
      if (batch.ops[op]) connectorMetrics.events.inc({ op }, batch.ops[op]);
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
    if (this.failure) return;
    this.release();
    if (this.inFlight.length === 0 && (!this.batch.empty || this.pendingConfirm !== null)) this.scheduleFlush();
    if (!this.blocked) this.applyBackpressure();
  }

  /** Confirms `lsn` once every append handed out before now is durable. */
  private confirmAfterInFlight(lsn: Lsn): void {
    if (this.inFlight.length === 0) this.gate.durable(lsn);
    else this.inFlight.push({ lsn, done: true, bytes: 0, startedAt: Date.now(), keys: [], afters: [] });
  }

  /** Hands the LSNs of the completed prefix of the in-flight queue to the gate, in order. */
  private release(): void {
    while (this.inFlight.length > 0 && this.inFlight[0].done) {
      const item = this.inFlight.shift() as InFlight;
      if (item.lsn !== null) this.gate.durable(item.lsn);
    }
    connectorMetrics.appendsInFlight.set(this.inFlight.length);
    if (this.inFlight.length === 0) for (const waiter of this.settledWaiters.splice(0)) waiter();
  }

  /** Resolves once every append request sent so far has been answered, failed or not. */
  private appendsDone(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.outstandingWaiters.push(resolve));
  }

  /** Resolves once no append is in flight (or the session failed). */
  private settled(): Promise<void> {
    if (this.inFlight.length === 0 || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private oldestWaiting(): { startedAt: number; appendsInFlight: number; bytes: number } | undefined {
    const oldest = this.inFlight.find((item) => !item.done);
    if (!oldest) return undefined;
    return { startedAt: oldest.startedAt, appendsInFlight: this.inFlight.length, bytes: this.inFlightBytes };
  }

  /**
   * An append passed its deadline: the connection claims to be fine but does not answer (a half-open
   * socket, a client queue that never drains). The session ends — also in the middle of a stop — with
   * nothing more confirmed, and the log connection is re-opened so that the next term does not queue
   * behind the same silence (ioredis re-sends the unanswered calls; the chain makes that harmless).
   */
  private timedOut(error: AppendTimeoutError): void {
    this.deps.appender.resetConnection();
    this.fail(error, true);
  }
}

/** The newest entry of `key` in parallel arrays (newest last), or undefined. */
function findNewest(keys: string[], afters: (Row | undefined)[], key: string): { after: Row | undefined } | undefined {
  for (let i = keys.length - 1; i >= 0; i--) if (keys[i] === key) return { after: afters[i] };
  return undefined;
}
