import { join } from 'node:path';
import { decodeEvent, encodeEvent, type ChangeEvent, type Row } from '@distributary/core';
import { defineScripts, LogKeys, type RedisClient } from '@distributary/changelog';

/** Roots to re-index: every root row whose `columns` equal `tuple` (e.g. every product of category 3). */
export interface FanOutCondition {
  columns: string[];
  tuple: Row;
}

/** A change that makes the roots matching `condition` stale, at `version` (its commit LSN). */
export interface FanOutMark {
  condition: FanOutCondition;
  version: number;
  event: ChangeEvent;
}

/** One pending pass: run at `version` (the newest marked); its planning resumes after `after` when it
 *  was cut short, and is over when `planned` (every root listed in a chunk: fan-out-chunks.ts). */
export interface PendingPass {
  member: string;
  condition: FanOutCondition;
  version: number;
  after?: Row;
  planned?: boolean;
  cause?: ChangeEvent;
}

/** A pass's planning cursor (the `passes` hash): every root up to `after` is listed in a chunk. */
export interface PassCursor {
  version: number;
  after?: Row;
  planned?: boolean;
}

const scripts = defineScripts(join(__dirname, 'lua'), { mark: 'mark', complete: 'complete', lock: 'lock' });

/** The member of a condition: its columns and values as JSON (the values as the source reader sends them). */
function memberOf(condition: FanOutCondition): string {
  return JSON.stringify([condition.columns, condition.columns.map((c) => condition.tuple[c])]);
}

function conditionOf(member: string): FanOutCondition {
  const [columns, values] = JSON.parse(member) as [string[], Row[string][]];
  return { columns, tuple: Object.fromEntries(columns.map((c, i) => [c, values[i]])) };
}

/** The Redis keys of one sink's fan-out queue; `dirty` is a sorted set scored by version (pending passes). */
export function fanOutKeys(
  namespace: string,
  sink: string,
): { dirty: string; causes: string; passes: string; lock: string; state: string; chunks: string; claims: string } {
  const keys = new LogKeys(namespace);
  return {
    dirty: keys.sinkBacklog(sink),
    causes: keys.sinkWorkspace(sink, 'causes'),
    passes: keys.sinkWorkspace(sink, 'passes'),
    lock: keys.sinkWorkspace(sink, 'lock'),
    // hash: member + since (the running pass; set by the lock holder), roots (re-indexed, ever)
    state: keys.sinkWorkspace(sink, 'state'),
    // hash: chunk id -> the root keys of one chunk of a planned pass; claims: chunk id -> claimed until (ms)
    chunks: keys.sinkWorkspace(sink, 'chunks'),
    claims: keys.sinkWorkspace(sink, 'claims'),
  };
}

/**
 * The durable fan-out queue of one Elasticsearch sink, in the log's Redis (one hash tag: one shard of
 * a cluster). A batch that changes a lookup (or child) row marks the condition naming its roots dirty
 * at the change's version BEFORE the batch's position is committed, so a crash between the two loses
 * nothing: the batch is read again and marks again (a no-op). The drainer (fan-out-drainer.ts) runs
 * one pass per dirty condition at its newest version: it lists the roots in chunks (fan-out-chunks.ts)
 * that every worker claims and writes, records its planning cursor with each page of chunks (a killed
 * planner resumes there), and forgets the condition once every chunk was written, only if no newer
 * change marked it meanwhile.
 */
export class FanOutStore {
  readonly keys: ReturnType<typeof fanOutKeys>;

  constructor(
    private readonly redis: RedisClient,
    namespace: string,
    sink: string,
  ) {
    this.keys = fanOutKeys(namespace, sink);
  }

  async mark(marks: readonly FanOutMark[]): Promise<void> {
    const newest = new Map<string, FanOutMark>();
    for (const mark of marks) {
      const member = memberOf(mark.condition);
      const seen = newest.get(member);
      if (!seen || mark.version >= seen.version) newest.set(member, mark);
    }
    const args: (string | number)[] = [];
    for (const [member, mark] of newest) {
      args.push(member, mark.version, JSON.stringify(encodeEvent(mark.event)));
    }
    for (let i = 0; i < args.length; i += 300) {
      await scripts.mark.run(this.redis, [this.keys.dirty, this.keys.causes], args.slice(i, i + 300));
    }
  }

  /** The `limit` oldest pending passes (lowest version first), with their cursors and causes. */
  async pending(limit: number): Promise<PendingPass[]> {
    const flat = await this.redis.zrange(this.keys.dirty, 0, limit - 1, 'WITHSCORES');
    if (flat.length === 0) return [];
    const members: string[] = [];
    for (let i = 0; i < flat.length; i += 2) members.push(flat[i]);
    const cursors = await this.redis.hmget(this.keys.passes, ...members);
    const causes = await this.redis.hmget(this.keys.causes, ...members);
    return members.map((member, i) => {
      const version = Number(flat[i * 2 + 1]);
      const cursor = cursors[i] ? (JSON.parse(cursors[i] as string) as PassCursor) : undefined;
      const cause = causes[i]
        ? (JSON.parse(causes[i] as string) as { id: string; fields: Record<string, string> })
        : undefined;
      return {
        member,
        condition: conditionOf(member),
        version,
        // a cursor of an older version is worthless: the newer change needs every root again
        ...(cursor && cursor.version === version
          ? { ...(cursor.after ? { after: cursor.after } : {}), ...(cursor.planned ? { planned: true } : {}) }
          : {}),
        ...(cause ? { cause: decodeEvent(cause.id, cause.fields) } : {}),
      };
    });
  }

  /** The pass finished; true when the condition was forgotten (not marked again meanwhile). */
  async complete(member: string, version: number): Promise<boolean> {
    const { dirty, causes, passes } = this.keys;
    return Number(await scripts.complete.run(this.redis, [dirty, causes, passes], [member, version])) === 1;
  }

  /** How many conditions wait for a pass. */
  async size(): Promise<number> {
    return this.redis.zcard(this.keys.dirty);
  }

  /** A pass of `member` starts now (shown by `distributary status` while the lock is held). */
  async started(member: string): Promise<void> {
    await this.redis.hset(this.keys.state, 'member', member, 'since', String(Date.now()));
  }

  /** `roots` more roots were re-indexed by passes. */
  async counted(roots: number): Promise<void> {
    await this.redis.hincrby(this.keys.state, 'roots', roots);
  }

  /** No pass runs (the drainer is idle, stopped, or backing off after a failure). */
  async idle(): Promise<void> {
    await this.redis.hdel(this.keys.state, 'member', 'since');
  }

  /** Takes or renews the drainer lock; true while `owner` holds it. */
  async lock(owner: string, ttlMs: number): Promise<boolean> {
    return Number(await scripts.lock.run(this.redis, [this.keys.lock], [owner, ttlMs])) === 1;
  }

  async unlock(owner: string): Promise<void> {
    const holder = await this.redis.get(this.keys.lock);
    if (holder === owner) await this.redis.del(this.keys.lock);
  }
}
