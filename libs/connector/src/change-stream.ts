import type { Lsn } from '@distributary/core';
import type { PgoutputMessage } from '@distributary/pg-protocol';

/** What a change stream hands its reader, synchronously and in stream order. */
export interface ChangeStreamHandlers {
  /** One decoded pgoutput message; must not throw (report failures through the session). */
  onMessage(message: PgoutputMessage): void;
  /** A primary keepalive: the server has sent everything up to `lsn`. */
  onKeepalive(lsn: Lsn, shouldRespond: boolean): void;
  onError(error: Error): void;
}

/**
 * The WAL as ReplicationSession reads it: WalStream on a real slot, or a scripted stream in tests.
 * Nothing is acknowledged by the stream itself: the reader confirms with sendFlushed() once data is
 * durable, and applies backpressure with pause() / resume().
 */
export interface ChangeStream {
  /** Streams until stop() or the connection ends; rejects when streaming cannot start. */
  run(): Promise<void>;
  pause(): void;
  resume(): void;
  readonly isPaused: boolean;
  /** Tells the server everything before `lsn` is durable. */
  sendFlushed(lsn: Lsn): Promise<void>;
  stop(): Promise<void>;
}

/** Opens the session's stream with its handlers (the connector: a WalStream on the slot). */
export type OpenChangeStream = (handlers: ChangeStreamHandlers) => ChangeStream;
