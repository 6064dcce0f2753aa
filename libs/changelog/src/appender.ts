import { Cluster } from 'ioredis';
import { DistributaryError, partitionFor, type ChangeEvent, type Lsn, type TxMarker } from '@distributary/core';
import { AppendBatch } from './append-batch';
import { BufferPool } from './buffer-pool';
import { clusterSlot, refreshSlotMap } from './cluster-slot';
import type { LogKeys } from './keys';
import { luaScript } from './lua-script';
import type { RedisClient } from './redis-connection';

/**
 * The append side of the change log. Invariants:
 * - partition = partitionFor(table, key, N); a truncate goes to every partition (it concerns all keys).
 * - every entry is XADDed with its explicit ID `<commitLsn>-<seq>`, in order, by one script call per
 *   stream and batch (lua/append-batch.lua), its entries packed into one argument. Redis refuses an ID not above the stream's top, which
 *   makes a re-append after a crash a counted no-op ("duplicate"), never a failure nor a duplicate entry.
 * - calls for one stream always travel on one connection in order (single Redis: one pipeline; Redis
 *   Cluster: one pipeline per node, all nodes in flight together), so a later batch never overtakes an
 *   earlier one of the same stream.
 * - any other error rejects the whole append: the caller must not confirm anything from that batch.
 */
export class PartitionCountMismatchError extends DistributaryError {}

export interface AppendResult {
  appended: number;
  /** Entries refused because the stream already holds them (re-append after a crash). */
  duplicates: number;
  /**
   * Refused entries that the stream does NOT hold (`<stream> <id>`): their ID is below the stream's
   * top but absent — compacted away, or a real gap. Should stay empty; callers log it loudly.
   */
  absent: string[];
}

export interface TxMarkerInput {
  commitLsn: Lsn;
  marker: Omit<TxMarker, 'commitLsn'>;
}

/** Bounds of a call buffer's initial size. */
const MIN_CALL_BYTES = 4 * 1024;
const MAX_CALL_BYTES = 1024 * 1024;

interface ScriptCall {
  stream: string;
  /** The call's entries, packed into one argument (see PackedArgs). */
  packed: Buffer;
  /** Last ID of the writer's previous call for this stream ('' = none): see AppendChain. */
  after: string;
}

/**
 * One writer's sequence of appends (a replication session): each script call names the last ID of
 * the writer's previous call for the same stream, and the script appends nothing unless the stream
 * has reached it. A later call therefore never lands after an earlier one that failed — whatever
 * Redis did in between (a Cluster MOVED for the earlier call while the later one reached the slot's
 * new node, a restart losing an unanswered call). The writer fails instead and replays from its last
 * confirmed position, and the replay fills the stream without a gap. A new writer (after a failure)
 * starts a new chain.
 */
export class AppendChain {
  private readonly last = new Map<string, string>();

  /** The previous call's last ID for `stream` ('' if none), recording `lastId` as the new one. */
  next(stream: string, lastId: string): string {
    const previous = this.last.get(stream) ?? '';
    this.last.set(stream, lastId);
    return previous;
  }
}

export class LogAppender {
  private readonly script = luaScript('append-batch');
  /** Bytes the last call of each stream needed: the next batch's buffer for it starts that big. */
  private readonly callBytes = new Map<string, number>();
  /** Buffers of answered calls, reused by the next batches. */
  private readonly buffers = new BufferPool();
  /** The script loaded on every master (chained writes send EVALSHA); reset by a NOSCRIPT. */
  private scriptLoaded: Promise<void> | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: LogKeys,
    readonly partitions: number,
  ) {}

  /** Records N in the log's meta key on first use; refuses a log created with another N. */
  async ensurePartitionCount(): Promise<void> {
    const meta = this.keys.meta();
    await this.redis.hsetnx(meta, 'partitions', String(this.partitions));
    await this.redis.hsetnx(meta, 'createdAt', new Date().toISOString());
    const recorded = Number(await this.redis.hget(meta, 'partitions'));
    if (recorded !== this.partitions)
      throw new PartitionCountMismatchError(
        `log.partitions is ${this.partitions} but the change log in namespace "${this.keys.namespace}" was created ` +
          `with ${recorded} partitions: set log.partitions: ${recorded}, or use a new log.namespace and re-snapshot`,
      );
  }

  /** An empty batch to fill with addEvent / addMarker and hand to write(). */
  newBatch(): AppendBatch {
    return new AppendBatch(
      this.keys,
      this.partitions,
      (stream) => this.buffers.take(this.callBytes.get(stream) ?? MIN_CALL_BYTES),
      (buffer) => this.buffers.give(buffer),
    );
  }

  /** Appends events (and optional transaction markers) in one round trip per node. */
  async append(events: readonly ChangeEvent[], markers: readonly TxMarkerInput[] = []): Promise<AppendResult> {
    const batch = this.newBatch();
    for (const marker of markers) batch.addMarker(marker);
    for (const event of events) batch.addEvent(event);
    return this.write(batch);
  }

  /**
   * Re-opens the connection when it claims to be ready but an append went unanswered past its deadline
   * (a half-open socket, a queue that never drains): ioredis reconnects and re-sends the unanswered
   * calls, which AppendChain and the IDs make harmless. A connection already reconnecting is left alone.
   */
  resetConnection(): void {
    if (this.redis.status === 'ready') this.redis.disconnect(true);
  }

  partitionOf(event: Pick<ChangeEvent, 'table' | 'key'>): number {
    return partitionFor(event.table, event.key, this.partitions);
  }

  /**
   * Writes a batch: resolves once Redis replied for every entry (durable under `appendfsync always`).
   * With a chain, the batch's calls continue the chain's previous ones (see AppendChain); batches of
   * one chain must be written in order (this method records the chain before it awaits anything).
   */
  async write(batch: AppendBatch, chain?: AppendChain): Promise<AppendResult> {
    if (batch.empty) return { appended: 0, duplicates: 0, absent: [] };
    const calls: ScriptCall[] = [];
    for (const [stream, packedCalls] of batch.streams) {
      for (const call of packedCalls)
        calls.push({ stream, packed: call.args.finish(), after: chain ? chain.next(stream, call.lastId) : '' });
      const first = packedCalls[0].args.bytes;
      this.callBytes.set(stream, Math.min(MAX_CALL_BYTES, Math.max(MIN_CALL_BYTES, first + (first >> 3))));
    }
    const cluster = this.redis instanceof Cluster ? this.redis : null;
    let results: AppendResult[];
    try {
      // By digest only with a chain: a call then never lands after an earlier call of its chain that
      // failed (NOSCRIPT after a Redis restart included) — the script refuses it (GAP). Unchained
      // writes send the script's text: EVAL cannot fail one call for want of a script and not the next.
      if (chain) await (this.scriptLoaded ??= this.loadScript());
      const groups = cluster ? byNode(cluster, calls) : [calls];
      results = await Promise.all(groups.map((group) => this.writeGroup(group, chain !== undefined)));
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) this.scriptLoaded = null;
      // A pipeline whose calls were answered MOVED next to calls that succeeded is resolved by ioredis
      // with the MOVED error and WITHOUT updating its slot map (it redirects a pipeline only when every
      // call failed alike), and ioredis has no periodic refresh by default: the replay would group by
      // the same stale map and fail on the same MOVED forever. Refresh it before the caller replays.
      if (cluster) await refreshSlotMap(cluster);
      throw error;
    }
    // Answered: ioredis is done with the buffers (after a failure they are left to the GC).
    for (const packedCalls of batch.streams.values())
      for (const call of packedCalls) this.buffers.give(call.args.storage);
    return results.reduce((a, b) => ({
      appended: a.appended + b.appended,
      duplicates: a.duplicates + b.duplicates,
      absent: [...a.absent, ...b.absent],
    }));
  }

  /** Loads the append script on every master (the digest is what chained writes send). */
  private loadScript(): Promise<void> {
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    return Promise.all(nodes.map((node) => node.script('LOAD', this.script.source))).then(
      () => undefined,
      (error: unknown) => {
        this.scriptLoaded = null;
        throw error;
      },
    );
  }

  private async writeGroup(calls: ScriptCall[], bySha: boolean): Promise<AppendResult> {
    const pipeline = this.redis.pipeline();
    for (const call of calls)
      if (bySha) pipeline.evalsha(this.script.sha, 1, call.stream, call.packed, call.after);
      else pipeline.eval(this.script.source, 1, call.stream, call.packed, call.after);
    const replies = (await pipeline.exec()) ?? [];
    if (replies.length !== calls.length) throw new Error(`log append: ${replies.length} replies for ${calls.length}`);
    const result: AppendResult = { appended: 0, duplicates: 0, absent: [] };
    replies.forEach(([error, reply], index) => {
      if (error) throw error;
      const [appended, duplicates, ...absent] = reply as [number, number, ...string[]];
      result.appended += appended;
      result.duplicates += duplicates;
      for (const id of absent) result.absent.push(`${calls[index].stream} ${id}`);
    });
    return result;
  }
}

/** One group per cluster node (by the slot map); streams whose slot is not mapped yet go alone. */
function byNode(cluster: Cluster, calls: ScriptCall[]): ScriptCall[][] {
  const groups = new Map<string, ScriptCall[]>();
  for (const call of calls) {
    const node = cluster.slots[clusterSlot(call.stream)]?.[0] ?? `stream:${call.stream}`;
    const group = groups.get(node);
    if (group) group.push(call);
    else groups.set(node, [call]);
  }
  return [...groups.values()];
}
