/**
 * The partition task's pipeline (read-ahead of batch N+1 while N is applied, N's commit beside N+1's
 * apply) against a real Redis: a hand-over (graceful stop) or a lost lease while a read-ahead batch is
 * held in memory loses nothing, applies nothing out of order and commits nothing that was not applied.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  compareIds,
  encodeEvent,
  positionToId,
  type ApplyResult,
  type ChangeEvent,
  type SinkBatch,
} from '@distributary/core';
import {
  ChangeLog,
  LogKeys,
  acquireLease,
  committedPosition,
  connectRedis,
  releaseLease,
  type RedisClient,
} from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { deleteNamespace, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { PartitionTask } from './partition-task';
import { makeEvent } from './testing/append-events';
import { RecordingSink, appliedRecords } from './testing/recording-sink';

const SINK = 'gated';
const BATCH = 5;

/** A recording sink whose apply can be held at a gate (the batch "in flight"). */
class GatedSink extends RecordingSink {
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  waiting = false;

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  /** The number of events of every apply() call, in call order. */
  readonly sizes: number[] = [];

  override async apply(batch: SinkBatch): Promise<ApplyResult> {
    this.sizes.push(batch.events.length);
    if (this.gate) {
      this.waiting = true;
      await this.gate;
      this.waiting = false;
    }
    return super.apply(batch);
  }
}

/**
 * A client whose duplicates (the task's blocking reader) report every XREAD: the entries its answer
 * carried (0 for none) and whether it was a read without waiting (no BLOCK: the task's top-up read).
 */
function observedRedis(onRead: (entries: number, waited: boolean) => void): RedisClient {
  const redis = connectRedis({ url: redisUrl() });
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (() => {
    const reader = duplicate();
    // the log reader reads Buffer replies (changelog's readPartition)
    const xread = reader.xreadBuffer.bind(reader) as (...a: unknown[]) => Promise<[Buffer, unknown[]][] | null>;
    (reader as unknown as { xreadBuffer: (...a: unknown[]) => Promise<unknown> }).xreadBuffer = async (
      ...a: unknown[]
    ) => {
      const reply = await xread(...a);
      onRead(reply?.[0] ? reply[0][1].length : 0, a.includes('BLOCK'));
      return reply;
    };
    return reader;
  }) as typeof redis.duplicate;
  return redis;
}

describe('partition task pipeline: hand-over and lost lease with a read-ahead batch in flight', () => {
  const redis = connectRedis({ url: redisUrl() });
  const namespace = uniqueName('pipeline');
  const keys = new LogKeys(namespace);
  const prefix = `{${namespace}:rec}`;
  afterAll(async () => {
    await deleteNamespace(redis, namespace);
    redis.disconnect();
  });

  const events: ChangeEvent[] = [];
  const ids = (list: ChangeEvent[]): string[] => list.map((e) => positionToId(e.pos));
  const produce = async (count: number): Promise<ChangeEvent[]> => {
    const batch = Array.from({ length: count }, () => makeEvent('public.items', events.length % 7, 'u'));
    events.push(...batch);
    // one MULTI: a blocked read sees the whole batch at once
    const multi = redis.multi();
    for (const event of batch) {
      const encoded = encodeEvent(event);
      multi.xadd(keys.partition(0), encoded.id, ...Object.entries(encoded.fields).flat());
    }
    await multi.exec();
    return batch;
  };

  const gatedSink = (worker: string): GatedSink =>
    new GatedSink({ name: SINK, tables: ['public.items'], redis, prefix: `${prefix}:${SINK}`, worker });

  /** Holds batch N in the sink's apply and waits until the read-ahead has answered with batch N+1. */
  async function holdWithReadAhead(
    sink: GatedSink,
    answered: () => number,
    aheadCount: number,
  ): Promise<{ inFlight: ChangeEvent[]; ahead: ChangeEvent[] }> {
    sink.hold();
    const inFlight = await produce(BATCH);
    await waitFor('batch N held in apply', async () => sink.waiting);
    const readBefore = answered();
    const ahead = (await produce(aheadCount)).slice(0, BATCH);
    await waitFor('the read-ahead batch in memory', async () => answered() >= readBefore + ahead.length);
    return { inFlight, ahead };
  }

  function startTask(sink: GatedSink, taskRedis: RedisClient, fencingToken: number, blockMs = 200): PartitionTask {
    return new PartitionTask({
      log: new ChangeLog(taskRedis, keys, 1),
      sink,
      claim: { sink: SINK, partition: 0, fencingToken },
      batchSize: BATCH,
      blockMs,
      backoff: { baseMs: 10, capMs: 50 },
      isPaused: () => false,
      logger: silentLogger,
    });
  }

  /** Applied records: every event exactly in log order within each owner's run, none missing. */
  async function expectAllAppliedInOrder(): Promise<void> {
    const records = await appliedRecords(redis, `${prefix}:${SINK}`, 0);
    for (let i = 1; i < records.length; i++) {
      expect(records[i].token, 'fencing tokens only grow').toBeGreaterThanOrEqual(records[i - 1].token);
      if (records[i].token === records[i - 1].token)
        expect(compareIds(records[i].id, records[i - 1].id), `order at ${i}`).toBe(1);
    }
    const applied = new Set(records.map((r) => r.id));
    expect(ids(events).filter((id) => !applied.has(id))).toEqual([]);
  }

  it('hand-over: the batch in flight is applied and committed, the read-ahead batch is left to the next owner', async () => {
    let answered = 0;
    const taskRedis = observedRedis((n) => (answered += n));
    const sink = gatedSink('w1');
    const token1 = (await acquireLease(redis, keys, SINK, 0, 'w1', 30_000)) as number;
    const task1 = startTask(sink, taskRedis, token1);
    const first = await produce(BATCH);
    await waitFor('the first batch committed', async () => task1.position === ids(first).at(-1));

    // the read-ahead answers with batch N+1 while N is still held in apply
    const { inFlight, ahead } = await holdWithReadAhead(sink, () => answered, BATCH);
    expect(sink.waiting).toBe(true);

    const stopped = task1.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    sink.release();
    await stopped;
    // N applied and committed; N+1 (read ahead) neither applied nor committed
    expect(await committedPosition(redis, keys, SINK, 0)).toBe(ids(inFlight).at(-1));
    const afterStop = (await appliedRecords(redis, `${prefix}:${SINK}`, 0)).map((r) => r.id);
    expect(afterStop).toEqual(ids([...first, ...inFlight]));
    expect(afterStop.filter((id) => ids(ahead).includes(id))).toEqual([]);
    await releaseLease(redis, keys, SINK, 0, 'w1');
    taskRedis.disconnect();

    // the next owner starts at N's commit: applies N+1 and what follows, in order
    const token2 = (await acquireLease(redis, keys, SINK, 0, 'w2', 30_000)) as number;
    const sink2 = gatedSink('w2');
    const redis2 = connectRedis({ url: redisUrl() });
    const task2 = startTask(sink2, redis2, token2);
    const more = await produce(BATCH * 3 + 2);
    await waitFor('the next owner at the end', async () => task2.position === ids(more).at(-1));
    await task2.stop();
    redis2.disconnect();
    await releaseLease(redis, keys, SINK, 0, 'w2');
    await expectAllAppliedInOrder();
  });

  it('lost lease: a fenced commit ends the task; nothing read ahead is committed by the old owner', async () => {
    let answered = 0;
    const taskRedis = observedRedis((n) => (answered += n));
    const sink = gatedSink('w3');
    const token3 = (await acquireLease(redis, keys, SINK, 0, 'w3', 30_000)) as number;
    const task3 = startTask(sink, taskRedis, token3);
    const start = (await committedPosition(redis, keys, SINK, 0)) as string;
    const warm = await produce(BATCH);
    await waitFor('caught up', async () => task3.position === ids(warm).at(-1));

    const { inFlight, ahead } = await holdWithReadAhead(sink, () => answered, BATCH * 2);

    // another worker takes the partition over (the lease expired meanwhile, say): a new fencing token
    await redis.del(keys.lease(0, SINK));
    const token4 = (await acquireLease(redis, keys, SINK, 0, 'w4', 30_000)) as number;
    expect(token4).toBeGreaterThan(token3);
    sink.release();
    await task3.done;
    // the old owner's commit of N was refused; the position is where the old owner last committed
    expect(await committedPosition(redis, keys, SINK, 0)).toBe(ids(warm).at(-1));
    expect(compareIds(ids(warm).at(-1) as string, start)).toBe(1);
    expect(task3.state).toBe('stopped');
    taskRedis.disconnect();

    const sink4 = gatedSink('w4');
    const redis4 = connectRedis({ url: redisUrl() });
    const task4 = startTask(sink4, redis4, token4);
    const tail = await produce(3);
    await waitFor('the new owner at the end', async () => task4.position === ids(tail).at(-1));
    // the old owner applied at most the read-ahead batch (its apply began beside the commit that was
    // refused, as any apply may run under a lease just lost: versions / the sink's own fence guard it)
    const records = await appliedRecords(redis, `${prefix}:${SINK}`, 0);
    const oldOwner = records.filter((r) => r.token === token3).map((r) => r.id);
    expect(oldOwner).toContain(ids(inFlight).at(-1));
    expect(oldOwner.every((id) => compareIds(id, ids(ahead).at(-1) as string) <= 0)).toBe(true);
    await task4.stop();
    redis4.disconnect();
    await expectAllAppliedInOrder();
  });
  it('tops a read-ahead up only when it answered during the apply (an idle log needs no second read)', async () => {
    let answered = 0;
    let topUps = 0;
    const taskRedis = observedRedis((n, waited) => {
      answered += n;
      if (!waited) topUps++;
    });
    const sink = gatedSink('w7');
    await redis.del(keys.lease(0, SINK));
    const token = (await acquireLease(redis, keys, SINK, 0, 'w7', 30_000)) as number;
    // a read-ahead waits (much) longer than this test: it is still waiting when the next event comes
    const task = startTask(sink, taskRedis, token, 30_000);
    const warm = await produce(1);
    await waitFor('caught up', async () => task.position === ids(warm).at(-1));
    // each event comes after the batch before it was applied: the read-ahead answers with it on an idle
    // log, so the batch starts without another read
    for (let i = 0; i < 3; i++) {
      const [event] = await produce(1);
      await waitFor('applied', async () => task.position === ids([event])[0]);
    }
    expect(topUps).toBe(0);
    // the read-ahead answers while the batch before it is held in apply: what comes after its answer
    // joins its batch through one read without waiting
    const { ahead } = await holdWithReadAhead(sink, () => answered, 2);
    const later = await produce(2);
    sink.release();
    await waitFor('applied', async () => task.position === ids(later).at(-1));
    expect(topUps).toBe(1);
    expect(sink.sizes.at(-1)).toBe(ahead.length + later.length);
    await task.stop();
    taskRedis.disconnect();
    await releaseLease(redis, keys, SINK, 0, 'w7');
    await expectAllAppliedInOrder();
  });

  it('lost lease with nothing more to read: the refused commit still ends the task', async () => {
    const sink = gatedSink('w5');
    await redis.del(keys.lease(0, SINK));
    const token5 = (await acquireLease(redis, keys, SINK, 0, 'w5', 30_000)) as number;
    const taskRedis = connectRedis({ url: redisUrl() });
    const task5 = startTask(sink, taskRedis, token5);
    const warm = await produce(2);
    await waitFor('caught up', async () => task5.position === ids(warm).at(-1));
    sink.hold();
    await produce(2);
    await waitFor('the last batch held in apply', async () => sink.waiting);
    await redis.del(keys.lease(0, SINK));
    await acquireLease(redis, keys, SINK, 0, 'w6', 30_000);
    sink.release();
    // no further event: the task learns of the refusal from the commit beside its idle read-ahead
    let ended = false;
    void task5.done.then(() => (ended = true));
    await waitFor('the fenced task to end', async () => ended, { timeoutMs: 10_000 });
    expect(task5.state).toBe('stopped');
    expect(await committedPosition(redis, keys, SINK, 0)).toBe(ids(warm).at(-1));
    taskRedis.disconnect();
  });
});
