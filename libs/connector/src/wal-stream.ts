import { Client } from 'pg';
import { quoteIdent, type Lsn } from '@distributary/core';
import { parsePgoutput } from '@distributary/pg-protocol';
import type { ChangeStream, ChangeStreamHandlers } from './change-stream';
import { SOURCE_SESSION_OPTIONS } from '@distributary/pg-catalog';

export interface WalStreamOptions {
  url: string;
  slot: string;
  publication: string;
}

/** The parts of pg's (untyped) Connection a replication session uses. */
interface ReplicationConnection {
  on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): void;
  once(event: 'replicationStart', listener: () => void): void;
  removeAllListeners(event?: 'copyData'): void;
  sendCopyFromChunk(chunk: Buffer): void;
  stream?: { pause?(): void; resume?(): void };
}

/** CopyData kinds of the streaming replication protocol. */
const XLOG_DATA = 0x77; // 'w': walStart(8) walEnd(8) sendTime(8), then one pgoutput message
const PRIMARY_KEEPALIVE = 0x6b; // 'k': walEnd(8) sendTime(8) replyRequested(1)
const XLOG_DATA_HEADER = 25;
/** 2000-01-01 (the PostgreSQL epoch) in milliseconds since the Unix epoch. */
const PG_EPOCH_MILLIS = 946_684_800_000;

/**
 * One replication session on a slot (pgoutput v1, logical messages on), read straight from the pg
 * connection's CopyData messages: the XLogData header is skipped in place (no LSN text, no view
 * Buffer, no event emitter per message) and the message parsed where it lies. Messages are handed to
 * `onMessage` synchronously, one at a time and in stream order, as the socket delivers them; the
 * caller applies its own backpressure with pause() / resume() of the replication socket (a paused
 * socket stops reading from Postgres instead of buffering the WAL in memory; the messages of a chunk
 * already read are still delivered). A primary keepalive goes to `onKeepalive` with its WAL end.
 * Nothing is acknowledged automatically: the caller confirms with sendFlushed() once data is safe.
 */
export class WalStream implements ChangeStream {
  private client: Client | null = null;
  private connection: ReplicationConnection | null = null;
  /** Set once the server answered START_REPLICATION (status updates before that are not sent). */
  private streaming = false;
  private stopped = false;
  private paused = false;

  constructor(
    private readonly options: WalStreamOptions,
    private readonly handlers: ChangeStreamHandlers,
  ) {}

  /** Streams until stop() or the connection ends; rejects when replication cannot start. */
  async run(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.options.url,
      options: SOURCE_SESSION_OPTIONS,
      replication: 'database',
    } as ConstructorParameters<typeof Client>[0]);
    this.client = client;
    client.on('error', (error: Error) => {
      if (!this.stopped) this.handlers.onError(error);
    });
    try {
      await client.connect();
      const connection = (client as unknown as { connection: ReplicationConnection }).connection;
      this.connection = connection;
      connection.once('replicationStart', () => {
        this.streaming = true;
      });
      // The client's own copyData listener only hands the data to the running command, which ignores
      // it: with it gone, each message has one listener (an emit with two copies the listener list).
      connection.removeAllListeners('copyData');
      connection.on('copyData', ({ chunk }) => this.copyData(chunk));
      const publication = this.options.publication.replace(/'/g, "''");
      await client
        .query(
          `START_REPLICATION SLOT ${quoteIdent(this.options.slot)} LOGICAL 0/00000000 ` +
            `(proto_version '1', publication_names '${publication}', messages 'true')`,
        )
        .catch((error: unknown) => {
          // stop() ends the connection under the running command: that is the normal end.
          if (!this.stopped || !/Connection\s+terminated/i.test(String(error))) throw error;
        });
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (!this.stopped) this.handlers.onError(failure);
      await this.close();
      throw failure;
    }
  }

  private copyData(chunk: Buffer): void {
    if (this.stopped) return;
    const kind = chunk[0];
    if (kind === XLOG_DATA) {
      try {
        this.handlers.onMessage(parsePgoutput(chunk, XLOG_DATA_HEADER));
      } catch (error) {
        this.handlers.onError(error instanceof Error ? error : new Error(String(error)));
      }
    } else if (kind === PRIMARY_KEEPALIVE) {
      if (chunk.length < 18) {
        this.handlers.onError(new Error(`replication: keepalive of ${chunk.length} bytes`));
        return;
      }
      this.handlers.onKeepalive(chunk.readBigUInt64BE(1), chunk[17] !== 0);
    }
    // Any other kind is not part of the protocol version spoken here: ignored.
  }

  /** Stops reading the replication socket (backpressure); idempotent. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.connection?.stream?.pause?.();
  }

  /** Reads the replication socket again; idempotent. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.connection?.stream?.resume?.();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Tells the server everything before `lsn` is durable: a standby status update with `lsn` as the
   * written, flushed and applied position (no reply requested).
   */
  sendFlushed(lsn: Lsn): Promise<void> {
    if (this.stopped || !this.streaming || lsn <= 0n || !this.connection) return Promise.resolve();
    const update = Buffer.alloc(34);
    update[0] = 0x72; // 'r'
    update.writeBigUInt64BE(lsn, 1);
    update.writeBigUInt64BE(lsn, 9);
    update.writeBigUInt64BE(lsn, 17);
    update.writeBigInt64BE(BigInt(Date.now() - PG_EPOCH_MILLIS) * 1000n, 25);
    update[33] = 0;
    this.connection.sendCopyFromChunk(update);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A paused socket never sees the server's end of the connection: let it drain (messages are
    // ignored from now on), or ending the client waits forever.
    this.paused = false;
    this.connection?.stream?.resume?.();
    await this.close();
  }

  private async close(): Promise<void> {
    const client = this.client;
    const connection = this.connection;
    this.client = null;
    this.connection = null;
    this.streaming = false;
    await client?.end().catch(() => undefined);
    connection?.removeAllListeners();
    client?.removeAllListeners();
  }
}
