import { join } from 'node:path';
import { decodeEvent, type ChangeEvent, type Row } from '@distributary/core';
import { defineScripts, type RedisClient } from '@distributary/changelog';
import type { fanOutKeys, PassCursor } from './fan-out-store';

/** One chunk of a pass: the keys of up to one bulk request's worth of roots, re-indexed at `version`. */
export interface FanOutChunk {
  id: string;
  member: string;
  version: number;
  keys: Row[];
  /** The change that marked the pass (for dead letters), when still known. */
  cause?: ChangeEvent;
}

const scripts = defineScripts(join(__dirname, 'lua'), { claim: 'claim' });

/** The id of a chunk: its pass (version, member) and its first root key; the pass's chunks share the prefix. */
const prefixOf = (member: string, version: number): string => `${version} ${member} `;

/**
 * The chunks of the planned passes of one sink (the log's Redis, the queue's hash tag), shared by every
 * worker process: the drainer lock's holder lists a pass's roots in chunks (in key order, a page at a
 * time, with its planning cursor in the same transaction); any worker claims a chunk for a while, writes
 * it and finishes it. A chunk is forgotten only once written, so a worker killed with a claimed chunk
 * loses nothing: the claim runs out and another worker writes it. The pass is complete when it is
 * planned and none of its chunks is left.
 */
export class FanOutChunks {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ReturnType<typeof fanOutKeys>,
  ) {}

  /** Lists `chunks` (root keys) of the pass `member` at `version`, and its cursor, in one transaction. */
  async list(member: string, version: number, chunks: Row[][], cursor: PassCursor): Promise<void> {
    const multi = this.redis.multi();
    for (const keys of chunks) {
      const id = prefixOf(member, version) + JSON.stringify(keys[0]);
      multi.hset(this.keys.chunks, id, JSON.stringify({ member, version, keys }));
    }
    multi.hset(this.keys.passes, member, JSON.stringify(cursor));
    await multi.exec();
  }

  /**
   * Claims a chunk for `ttlMs` (one nobody holds, or whose claim ran out). Without one: how many passes
   * are pending (0: nothing to expect soon).
   */
  async claim(ttlMs: number): Promise<FanOutChunk | number> {
    const { chunks, claims, dirty, causes } = this.keys;
    const reply = (await scripts.claim.run(this.redis, [chunks, claims, dirty], [ttlMs])) as [string, string] | number;
    if (!Array.isArray(reply)) return Number(reply);
    const [id, text] = reply;
    const chunk = JSON.parse(text) as Omit<FanOutChunk, 'id'>;
    const cause = await this.redis.hget(causes, chunk.member);
    const encoded = cause ? (JSON.parse(cause) as { id: string; fields: Record<string, string> }) : undefined;
    return { ...chunk, id, ...(encoded ? { cause: decodeEvent(encoded.id, encoded.fields) } : {}) };
  }

  /** The chunk was written: forgotten (by whichever claimant finished first). */
  async finish(id: string): Promise<void> {
    await this.redis.multi().hdel(this.keys.chunks, id).hdel(this.keys.claims, id).exec();
  }

  /** Chunks listed and not yet written, of every pass. */
  async size(): Promise<number> {
    return this.redis.hlen(this.keys.chunks);
  }

  /** Chunks of the pass `member` at `version` not yet written. */
  async left(member: string, version: number): Promise<number> {
    const prefix = prefixOf(member, version);
    return (await this.redis.hkeys(this.keys.chunks)).filter((id) => id.startsWith(prefix)).length;
  }
}
