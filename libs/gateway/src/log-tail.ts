/**
 * The gateway's one reader of the change log: every partition is read once per process (a blocking
 * connection per partition, changelog's readPartition), starting at the partition's end when the
 * gateway starts, and each entry is handed to the fan-out with the read vector right after it.
 */
import { START_ID } from '@distributary/core';
import { readPartition, type LogEntry, type LogKeys, type RedisClient } from '@distributary/changelog';
import type { PositionVector } from './positions';

export type EntryHandler = (partition: number, entry: LogEntry, vector: readonly string[]) => void;

const BLOCK_MS = 1000;
/** Entries per read: also the largest burst one dispatch hands a subscriber. */
const BATCH = 100;
const RETRY_MS = 1000;

export class LogTail {
  private vector: string[] = [];
  private running = false;
  private started = false;
  private readonly connections: RedisClient[] = [];
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: LogKeys,
    readonly partitions: number,
    private readonly onEntry: EntryHandler,
  ) {}

  get ready(): boolean {
    return this.started && this.running;
  }

  /** The current read vector (a copy). */
  readVector(): PositionVector {
    return [...this.vector];
  }

  async start(): Promise<void> {
    this.running = true;
    this.vector = await Promise.all(
      Array.from({ length: this.partitions }, async (_, partition) => {
        const last = await this.redis.xrevrange(this.keys.partition(partition), '+', '-', 'COUNT', 1);
        return last[0]?.[0] ?? START_ID;
      }),
    );
    for (let partition = 0; partition < this.partitions; partition++) {
      const connection = this.redis.duplicate();
      this.connections.push(connection);
      this.loops.push(this.loop(partition, connection));
    }
    this.started = true;
  }

  private async loop(partition: number, connection: RedisClient): Promise<void> {
    while (this.running) {
      let entries: LogEntry[];
      try {
        entries = await readPartition(connection, this.keys, partition, this.vector[partition], {
          count: BATCH,
          blockMs: BLOCK_MS,
        });
      } catch {
        if (!this.running) return;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      for (const entry of entries) {
        if (!this.running) return;
        this.vector[partition] = entry.id;
        this.onEntry(partition, entry, Object.freeze([...this.vector]));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const connection of this.connections) connection.disconnect();
    await Promise.allSettled(this.loops);
  }
}
