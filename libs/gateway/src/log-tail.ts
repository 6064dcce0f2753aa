/**
 * The gateway's one reader of the change log: every partition is read once per process (a blocking
 * connection per partition, changelog's readPartition), and the transactions stream (commit markers)
 * once more, starting at their ends when the gateway starts. Entries pass through the TxAssembler,
 * so the fan-out receives whole source transactions with the released vector right after each.
 */
import { START_ID } from '@distributary/core';
import { ChangeLog, decodeTxMarker, fieldsOf, type LogEntry, type RedisClient } from '@distributary/changelog';
import type { PositionVector } from './positions';
import { idLsn, TxAssembler, type CompletionProbe, type GroupHandler } from './tx-assembler';

const BLOCK_MS = 1000;
/** Entries per read: also the largest burst one dispatch hands a subscriber. */
const BATCH = 100;
const RETRY_MS = 1000;

export class LogTail {
  private vector: string[] = [];
  private assembler: TxAssembler | undefined;
  private running = false;
  private started = false;
  private readonly connections: RedisClient[] = [];
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly log: ChangeLog,
    private readonly onGroup: GroupHandler,
    /** Tells the assembler when a transaction without its marker has been read entirely (tx-assembler.ts). */
    private readonly probe?: CompletionProbe,
  ) {}

  get partitions(): number {
    return this.log.partitions;
  }

  /** The last entry read per partition (not necessarily handed on yet). */
  readPositions(): PositionVector {
    return [...this.vector];
  }

  get ready(): boolean {
    return this.started && this.running;
  }

  /** The released vector: every entry at or before it has been handed to the fan-out (a copy). */
  readVector(): PositionVector {
    return this.assembler ? this.assembler.vector() : [...this.vector];
  }

  async start(): Promise<void> {
    this.running = true;
    const lastId = async (stream: string) =>
      (await this.log.redis.xrevrange(stream, '+', '-', 'COUNT', 1))[0]?.[0] ?? START_ID;
    this.vector = await Promise.all(
      Array.from({ length: this.partitions }, (_, partition) => lastId(this.log.keys.partition(partition))),
    );
    const markersFrom = await lastId(this.log.keys.transactions());
    this.assembler = new TxAssembler(this.vector, this.onGroup, this.probe);
    for (let partition = 0; partition < this.partitions; partition++) {
      const connection = this.log.redis.duplicate();
      this.connections.push(connection);
      this.loops.push(this.loop(partition, connection));
    }
    const connection = this.log.redis.duplicate();
    this.connections.push(connection);
    this.loops.push(this.markerLoop(connection, markersFrom));
    this.started = true;
  }

  private async loop(partition: number, connection: RedisClient): Promise<void> {
    const assembler = this.assembler as TxAssembler;
    // this partition's own connection: a blocking read holds it
    const log = new ChangeLog(connection, this.log.keys, this.log.partitions);
    while (this.running) {
      let entries: LogEntry[];
      try {
        entries = await log.read.partition(partition, this.vector[partition], {
          count: BATCH,
          blockMs: BLOCK_MS,
        });
      } catch {
        if (!(await this.pause())) return;
        continue;
      }
      for (const entry of entries) {
        if (!this.running) return;
        this.vector[partition] = entry.id;
        assembler.entry(partition, entry);
      }
    }
  }

  private async markerLoop(connection: RedisClient, from: string): Promise<void> {
    const assembler = this.assembler as TxAssembler;
    let after = from;
    while (this.running) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await connection.xread(
          'COUNT',
          BATCH * 10,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          this.log.keys.transactions(),
          after,
        )) as [string, [string, string[]][]][] | null;
      } catch {
        if (!(await this.pause())) return;
        continue;
      }
      for (const [id, raw] of reply?.[0]?.[1] ?? []) {
        if (!this.running) return;
        after = id;
        const fields = fieldsOf(raw);
        if (fields.t === 'commit') {
          const marker = decodeTxMarker(fields);
          if (marker.events !== undefined) assembler.marker(idLsn(id), marker.events);
        } else assembler.markersAt(idLsn(id));
      }
    }
  }

  private async pause(): Promise<boolean> {
    if (!this.running) return false;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    return this.running;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.assembler?.stop();
    for (const connection of this.connections) connection.disconnect();
    await Promise.allSettled(this.loops);
  }
}
