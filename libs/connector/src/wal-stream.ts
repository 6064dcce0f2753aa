import type { Client } from 'pg';
import { LogicalReplicationService } from 'pg-logical-replication';
import { formatLsn, parseLsn, quoteIdent, type Lsn } from '@distributary/core';
import { parsePgoutput, type PgoutputMessage } from '@distributary/pg-protocol';
import type { ChangeStream, ChangeStreamHandlers } from './change-stream';
import { SOURCE_SESSION_OPTIONS } from '@distributary/pg-catalog';

export interface WalStreamOptions {
  url: string;
  slot: string;
  publication: string;
}

class RawPgoutputPlugin {
  readonly options = { protoVersion: 1 as const, publicationNames: [] as string[], messages: true };

  constructor(publication: string) {
    this.options.publicationNames = [publication];
  }

  get name(): string {
    return 'pgoutput';
  }

  parse(buffer: Buffer): PgoutputMessage {
    return parsePgoutput(buffer);
  }

  start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    const publication = this.options.publicationNames.map((n) => n.replace(/'/g, "''")).join(',');
    return client.query(
      `START_REPLICATION SLOT ${quoteIdent(slotName)} LOGICAL ${lastLsn} ` +
        `(proto_version '1', publication_names '${publication}', messages 'true')`,
    );
  }
}

interface PausableSocket {
  pause?(): void;
  resume?(): void;
}

/**
 * One replication session on a slot (pgoutput v1, logical messages on). Messages are handed to
 * `onMessage` synchronously, one at a time and in stream order, as the socket delivers them; the
 * caller applies its own backpressure with pause() / resume() of the replication socket (a paused
 * socket stops reading from Postgres instead of buffering the WAL in memory; the messages of a chunk
 * already read are still delivered).
 * Nothing is acknowledged automatically: the caller confirms with sendFlushed() once data is safe.
 */
export class WalStream implements ChangeStream {
  private readonly service: LogicalReplicationService;
  private stopped = false;
  private paused = false;

  constructor(
    private readonly options: WalStreamOptions,
    private readonly handlers: ChangeStreamHandlers,
  ) {
    this.service = new LogicalReplicationService(
      { connectionString: options.url, options: SOURCE_SESSION_OPTIONS },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: false } },
    );
    // With auto-acknowledge off the library's per-message _acknowledge() does nothing but allocate a
    // promise (it is async): replace it by a plain no-op on this instance.
    (this.service as unknown as { _acknowledge: () => void })._acknowledge = () => undefined;
    this.service.on('data', (_lsn: string, message: PgoutputMessage) => {
      if (this.stopped) return;
      try {
        this.handlers.onMessage(message);
      } catch (error) {
        this.handlers.onError(error instanceof Error ? error : new Error(String(error)));
      }
    });
    this.service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => {
      if (!this.stopped) this.handlers.onKeepalive(parseLsn(lsn), shouldRespond);
    });
    this.service.on('error', (error: Error) => {
      if (!this.stopped) this.handlers.onError(error);
    });
  }

  /** Streams until stop() or the connection ends; rejects when replication cannot start. */
  async run(): Promise<void> {
    if (this.stopped) return;
    await this.service.subscribe(new RawPgoutputPlugin(this.options.publication), this.options.slot);
  }

  /** Stops reading the replication socket (backpressure); idempotent. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket()?.pause?.();
  }

  /** Reads the replication socket again; idempotent. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket()?.resume?.();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** The pg connection's socket (what the library itself pauses for its own flow control). */
  private socket(): PausableSocket | undefined {
    return (this.service as unknown as { _connection?: { stream?: PausableSocket } | null })._connection?.stream;
  }

  /** Tells the server everything before `lsn` is durable (written, flushed and applied). */
  async sendFlushed(lsn: Lsn): Promise<void> {
    if (this.stopped || lsn <= 0n) return;
    // The library reports lsn + 1, so pass lsn − 1 to report exactly `lsn`.
    await this.service.acknowledge(formatLsn(lsn - 1n));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A paused socket never sees the server's end of the connection: let it drain (messages are
    // ignored from now on), or ending the client waits forever.
    this.paused = false;
    this.socket()?.resume?.();
    await this.service.stop().catch(() => undefined);
  }
}
