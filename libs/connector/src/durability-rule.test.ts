import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lsn } from '@distributary/core';
import {
  ChangeLog,
  LogAppender,
  LogKeys,
  connectRedis,
  type AppendBatch,
  type AppendChain,
  type AppendResult,
  type RedisClient,
} from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import type { TypeLookup } from '@distributary/pg-decode';
import type { PgoutputMessage, RelationMessage } from '@distributary/pg-protocol';
import { deleteNamespace, pgUrl, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import type { ChangeStream, ChangeStreamHandlers } from './change-stream';
import { AppendTimeoutError } from './append-watch';
import { ReplicationSession } from './replication-session';
import { RowCache } from './row-cache';

/**
 * The durability rule with a scripted WAL stream and the real log Redis: appends may complete in any
 * order, but an LSN is confirmed (to the stream and to onConfirmed) only once the append carrying it
 * and every append before it resolved; a failed append ends the session with nothing after it
 * confirmed. The appends' completions are held back by the test (the writes themselves reach Redis).
 */
const PARTITIONS = 2;
let redis: RedisClient;
const namespaces: string[] = [];

let source: Pool;

beforeAll(() => {
  redis = connectRedis({ url: redisUrl() });
  source = new Pool({ connectionString: pgUrl(), max: 2 });
});

afterAll(async () => {
  for (const namespace of namespaces) await deleteNamespace(redis, namespace);
  redis.disconnect();
  await source.end();
});

/** A stream the test drives: messages and keepalives are delivered when the test says so. */
class ScriptedStream implements ChangeStream {
  readonly flushed: Lsn[] = [];
  isPaused = false;
  private ended?: () => void;
  private readonly done = new Promise<void>((resolve) => (this.ended = resolve));

  constructor(private readonly handlers: ChangeStreamHandlers) {}

  run(): Promise<void> {
    return this.done;
  }
  pause(): void {
    this.isPaused = true;
  }
  resume(): void {
    this.isPaused = false;
  }
  async sendFlushed(lsn: Lsn): Promise<void> {
    this.flushed.push(lsn);
  }
  async stop(): Promise<void> {
    this.ended?.();
  }
  send(...messages: PgoutputMessage[]): void {
    for (const message of messages) this.handlers.onMessage(message);
  }
  keepalive(lsn: Lsn): void {
    this.handlers.onKeepalive(lsn, false);
  }
}

/** The real appender, whose n-th write reports completion (or failure) only when the test releases it. */
class HeldAppender extends LogAppender {
  readonly written: number[] = [];
  /** Connection resets asked for (recorded, not done: the test's connection is shared). */
  resets = 0;
  private readonly holds = new Map<number, { release: () => void; fail: (error: Error) => void }>();
  private readonly held = new Set<number>();
  private writes = 0;

  hold(n: number): void {
    this.held.add(n);
  }

  release(n: number): void {
    this.holds.get(n)?.release();
  }

  fail(n: number, error: Error): void {
    this.holds.get(n)?.fail(error);
  }

  override resetConnection(): void {
    this.resets++;
  }

  override async write(batch: AppendBatch, chain?: AppendChain): Promise<AppendResult> {
    const n = this.writes++;
    const result = await super.write(batch, chain);
    this.written.push(n);
    if (this.held.has(n))
      await new Promise<void>((release, fail) => this.holds.set(n, { release, fail: (error) => fail(error) }));
    return result;
  }
}

const relation: RelationMessage = {
  tag: 'relation',
  relationOid: 16_384,
  schema: 'public',
  name: 'items',
  replicaIdentity: 'default',
  columns: [
    { name: 'id', typeOid: 23, typeMod: -1, isKey: true },
    { name: 'name', typeOid: 25, typeMod: -1, isKey: false },
  ],
};
const types: TypeLookup = { resolve: (oid) => Promise.resolve({ scalar: oid === 23 ? 'int' : 'exact' }) };

/** One transaction of one insert, committed at `lsn` (its end LSN is lsn + 8). */
function transaction(xid: number, lsn: Lsn, id: number): PgoutputMessage[] {
  return [
    { tag: 'begin', commitLsn: lsn, commitTimeMicros: 0n, xid },
    { tag: 'insert', relationOid: relation.relationOid, newTuple: [String(id), `row ${id}`] },
    { tag: 'commit', commitLsn: lsn, endLsn: lsn + 8n, commitTimeMicros: 0n },
  ];
}

async function startSession(batchSize: number, appendTimeoutMs?: number) {
  const namespace = uniqueName('durable');
  namespaces.push(namespace);
  const keys = new LogKeys(namespace);
  const appender = new HeldAppender(redis, keys, PARTITIONS);
  await appender.ensurePartitionCount();
  const confirmed: Lsn[] = [];
  let stream: ScriptedStream | undefined;
  const session = new ReplicationSession(
    { batchSize, toastScan: 0, startLsn: 0n, holdBackMs: 0, appendTimeoutMs },
    {
      log: new ChangeLog(redis, keys, appender.partitions),
      appender,
      pool: source, // no TOAST value to re-read; the visibility gate asks it for snapshots
      types,
      primaryKeyOf: () => Promise.resolve(['id']),
      rowCache: new RowCache(100),
      logger: silentLogger,
      openStream: (handlers) => (stream = new ScriptedStream(handlers)),
      onConfirmed: (lsn) => confirmed.push(lsn),
    },
  );
  const running = session.run();
  running.catch(() => undefined);
  if (!stream) throw new Error('the session did not open its stream');
  const scripted: ScriptedStream = stream;
  scripted.send(relation);
  // The Relation message resolves its types asynchronously: later messages queue behind it in order.
  return { session, stream: scripted, appender, confirmed, running };
}

/** Lets every callback of settled promises and immediates run (the session's completions). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('replication session durability rule (scripted stream)', () => {
  it('confirms a commit only once its append and every earlier append completed, in LSN order', async () => {
    // One event per append: the first transaction's insert is write 0, the second's is write 1.
    const { session, stream, appender, confirmed } = await startSession(1);
    appender.hold(0);
    stream.send(...transaction(1, 1000n, 1), ...transaction(2, 2000n, 2));
    await waitFor('both appends written to the log', async () => appender.written.length === 2);
    await settle();
    // Write 1 (the second transaction) has completed; write 0 has not: nothing may be confirmed.
    expect(confirmed).toEqual([]);
    expect(stream.flushed.filter((lsn) => lsn > 0n)).toEqual([]);

    appender.release(0);
    await waitFor('the second commit confirmed', async () => confirmed.includes(2008n));
    expect(confirmed).toEqual([...confirmed].sort((a, b) => (a < b ? -1 : 1)));
    expect(confirmed[0]).toBe(1008n);
    expect(stream.flushed).toContain(2008n);
    await session.stop();
  });

  it('a failed append ends the session; nothing after it is confirmed, not even completed appends', async () => {
    const { stream, appender, confirmed, running } = await startSession(1);
    appender.hold(0);
    stream.send(...transaction(1, 1000n, 1), ...transaction(2, 2000n, 2));
    await waitFor('both appends written to the log', async () => appender.written.length === 2);
    appender.fail(0, new Error('append lost'));
    await expect(running).rejects.toThrow('append lost');
    await settle();
    expect(confirmed).toEqual([]);
    expect(stream.flushed.filter((lsn) => lsn > 0n)).toEqual([]);
  });

  it('an append never answered ends the session at its deadline, with nothing after it confirmed', async () => {
    const { stream, appender, confirmed, running } = await startSession(1, 300);
    appender.hold(0);
    stream.send(...transaction(1, 1000n, 1), ...transaction(2, 2000n, 2));
    await waitFor('both appends written to the log', async () => appender.written.length === 2);
    // Write 0 is never released: the session must not wait for it for ever, nor confirm write 1.
    await expect(running).rejects.toThrow(AppendTimeoutError);
    await expect(running).rejects.toThrow(/log append unanswered after \d+ ms \(2 in flight\)/);
    expect(appender.resets).toBe(1);
    expect(confirmed).toEqual([]);
    expect(stream.flushed.filter((lsn) => lsn > 0n)).toEqual([]);
  });

  it('an idle keepalive is confirmed only after the appends handed out before it', async () => {
    // The transaction goes out as one append at its commit (write 0, carrying its end LSN).
    const { session, stream, appender, confirmed } = await startSession(100);
    appender.hold(0);
    stream.send(...transaction(1, 1000n, 1));
    await waitFor('the append written to the log', async () => appender.written.length === 1);
    await settle();
    stream.keepalive(5000n);
    await settle();
    expect(confirmed).toEqual([]);
    appender.release(0);
    await waitFor('the keepalive LSN confirmed', async () => confirmed.includes(5000n));
    expect(confirmed).toEqual([1008n, 5000n]);
    await session.stop();
  });
});
