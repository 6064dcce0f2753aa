import type { Client } from 'pg';
import { LogicalReplicationService } from 'pg-logical-replication';
import { formatLsn, parseLsn, type Lsn } from '@distributary/core';
import { parsePgoutput } from './pgoutput-parser';
import type { PgoutputMessage } from './pgoutput-messages';
import { SOURCE_SESSION_OPTIONS } from './row-reader';

/**
 * One replication session on a slot (pgoutput v1, logical messages on). Messages are handed to
 * `onMessage` strictly one at a time, and the socket is paused while a handler runs (flow control),
 * so a slow log append stops reading from Postgres instead of buffering the WAL in memory.
 * Nothing is acknowledged automatically: the caller confirms with sendFlushed() once data is safe.
 */
export interface WalStreamHandlers {
  onMessage(message: PgoutputMessage): Promise<void>;
  /** A primary keepalive: the server has sent everything up to `lsn`. */
  onKeepalive(lsn: Lsn, shouldRespond: boolean): void;
  onError(error: Error): void;
}

export interface WalStreamOptions {
  url: string;
  slot: string;
  publication: string;
}

class RawPgoutputPlugin {
  readonly options = { protoVersion: 1 as const, publicationNames: [] as string[], messages: true };

  constructor(
    publication: string,
    private readonly onParsed: () => void,
  ) {
    this.options.publicationNames = [publication];
  }

  get name(): string {
    return 'pgoutput';
  }

  parse(buffer: Buffer): PgoutputMessage {
    this.onParsed();
    return parsePgoutput(buffer);
  }

  start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    const publication = this.options.publicationNames.map((n) => n.replace(/'/g, "''")).join(',');
    return client.query(
      `START_REPLICATION SLOT "${slotName.replace(/"/g, '""')}" LOGICAL ${lastLsn} ` +
        `(proto_version '1', publication_names '${publication}', messages 'true')`,
    );
  }
}

export class WalStream {
  private received = 0;
  private handled = 0;
  private readonly service: LogicalReplicationService;
  private stopped = false;

  constructor(
    private readonly options: WalStreamOptions,
    private readonly handlers: WalStreamHandlers,
  ) {
    this.service = new LogicalReplicationService(
      { connectionString: options.url, options: SOURCE_SESSION_OPTIONS },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    );
    this.service.on('data', async (_lsn: string, message: PgoutputMessage) => {
      try {
        if (!this.stopped) await this.handlers.onMessage(message);
      } catch (error) {
        this.handlers.onError(error instanceof Error ? error : new Error(String(error)));
      } finally {
        this.handled++;
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
    const plugin = new RawPgoutputPlugin(this.options.publication, () => this.received++);
    await this.service.subscribe(plugin, this.options.slot);
  }

  /** Every message received so far has been handled (nothing queued behind the current one). */
  get caughtUp(): boolean {
    return this.received === this.handled;
  }

  /** Messages received but not yet fully handled, the current one included. */
  get backlog(): number {
    return this.received - this.handled;
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
    await this.service.stop().catch(() => undefined);
  }
}
