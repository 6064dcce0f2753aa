/**
 * Several batches of a partition in flight (a sink whose `batchesInFlight` is 3), against a real Redis log:
 * when a batch's apply fails — transiently or permanently — while later batches were already applied
 * after it, the failed batch and every later one are applied again in log order, so the LAST
 * application of every event is in log order (what keeps the later content when a transaction's
 * writes share a version); positions are committed only in order and only past applied events.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  EventRejectedError,
  RetryableError,
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
  listDeadLetters,
} from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { deleteNamespace, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { PartitionTask } from './partition-task';
import { makeEvent } from './testing/append-events';
import { RecordingSink, appliedRecords } from './testing/recording-sink';

const TABLE = 'public.items';
/** A partition of its own per case. */
const PARTITION: Record<string, number> = { transient: 1, permanent: 2 };

/**
 * Writes land in call order (one chain, like the ES sink's turns over its bulk writer), then each call
 * waits a "round trip" before it answers; `fail` decides, per call, to fail after its writes landed.
 */
class InOrderSink extends RecordingSink {
  readonly batchesInFlight = 3;
  private landed: Promise<unknown> = Promise.resolve();
  inFlight = 0;
  maxInFlight = 0;
  fail: (batch: SinkBatch) => Error | undefined = () => undefined;

  override async apply(batch: SinkBatch): Promise<ApplyResult> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const written = this.landed.then(() => super.apply(batch));
      this.landed = written.catch(() => undefined);
      const result = await written;
      await new Promise((resolve) => setTimeout(resolve, 30));
      const error = this.fail(batch);
      if (error) throw error;
      return result;
    } finally {
      this.inFlight--;
    }
  }
}

describe('partition task: batches in flight re-applied in order after a failure', () => {
  const redis = connectRedis({ url: redisUrl() });
  const namespace = uniqueName('inorder');
  const keys = new LogKeys(namespace);
  afterAll(async () => {
    await deleteNamespace(redis, namespace);
    redis.disconnect();
  });

  async function run(
    name: string,
    count: number,
    fail: (sink: InOrderSink) => InOrderSink['fail'],
    /** True once the case's failure happened; until then the log keeps growing (up to 10 × count). */
    happened: () => boolean,
  ): Promise<{ sink: InOrderSink; events: ChangeEvent[] }> {
    const partition = PARTITION[name];
    const sink = new InOrderSink({ name, tables: [TABLE], redis, prefix: `{${namespace}:rec}:${name}`, worker: 'w' });
    sink.fail = fail(sink);
    const fencingToken = (await acquireLease(redis, keys, name, partition, 'w', 60_000)) as number;
    const taskRedis = connectRedis({ url: redisUrl() });
    const task = new PartitionTask({
      log: new ChangeLog(taskRedis, keys, 16),
      sink,
      claim: { sink: name, partition, fencingToken },
      batchSize: 40, // batches of 1-4 stay small (a quarter of batchSize or more means a backlog: one in flight)
      blockMs: 100,
      backoff: { baseMs: 5, capMs: 20 },
      isPaused: () => false,
      logger: silentLogger,
    });
    const events: ChangeEvent[] = [];
    // The failure needs batches in flight together, which needs small batches: on a loaded machine the
    // task can read bigger ones (a backlog: one in flight) for a while, so keep feeding until it happened.
    for (let i = 0; i < count || (!happened() && i < 10 * count); i++) {
      const event = makeEvent(TABLE, i % 5, 'u', { n: String(i) });
      events.push(event);
      const encoded = encodeEvent(event);
      await redis.xadd(keys.partition(partition), encoded.id, ...Object.entries(encoded.fields).flat());
      if (i % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 5)); // batches of 1-4
    }
    const last = positionToId(events[events.length - 1].pos);
    await waitFor('the task at the end', async () => task.position === last, { timeoutMs: 20_000 });
    await task.stop();
    taskRedis.disconnect();
    expect(await committedPosition(redis, keys, name, partition)).toBe(last);
    return { sink, events };
  }

  /** Every event applied, and the last application of each in log order. */
  async function expectLastApplicationsInOrder(name: string, events: ChangeEvent[], except: string[] = []) {
    const records = await appliedRecords(redis, `{${namespace}:rec}:${name}`, PARTITION[name]);
    const lastAt = new Map<string, number>();
    records.forEach((r, i) => lastAt.set(r.id, i));
    const expected = events.map((e) => positionToId(e.pos)).filter((id) => !except.includes(id));
    expect(
      expected.filter((id) => !lastAt.has(id)),
      'applied',
    ).toEqual([]);
    const order = expected.map((id) => lastAt.get(id) as number);
    for (let i = 1; i < order.length; i++)
      expect(order[i], `last application of ${expected[i]}`).toBeGreaterThan(order[i - 1]);
  }

  it('a transient failure of one batch while later ones were applied: it and every later one again, in order', async () => {
    let failed = 0;
    const { sink, events } = await run(
      'transient',
      60,
      (s) => (batch) => {
        // fail twice, each time a batch whose successors are in flight
        if (failed < 2 && s.inFlight >= 2 && s.calls > 4) {
          failed++;
          return new RetryableError(`target overloaded (${batch.lastId})`);
        }
        return undefined;
      },
      () => failed === 2,
    );
    expect(failed).toBe(2);
    expect(sink.maxInFlight).toBeGreaterThanOrEqual(2);
    await expectLastApplicationsInOrder('transient', events);
  });

  it('a permanent failure while later batches are in flight: the poison event dead-lettered, the rest in order', async () => {
    let poison: string | undefined;
    const { events } = await run(
      'permanent',
      40,
      (s) => (batch) => {
        if (!poison && s.inFlight >= 2 && s.calls > 3 && batch.events.length >= 2)
          poison = positionToId(batch.events[0].pos);
        const hit = batch.events.some((e) => positionToId(e.pos) === poison);
        return hit ? new EventRejectedError('mapping conflict') : undefined;
      },
      () => poison !== undefined,
    );
    expect(poison).toBeDefined();
    const letters = (await listDeadLetters(redis, keys, 'permanent')).items;
    expect(letters.map((l) => positionToId(l.event.pos))).toEqual([poison]);
    // the poison event was written before its error (this sink fails after writing): only its last
    // application may be out of place, every other event's is in log order
    await expectLastApplicationsInOrder('permanent', events, [poison as string]);
  });
});
