/**
 * Several batches of a partition in flight (a sink whose `batchesInFlight` is 3), against a real Redis log:
 * when a batch's apply fails — transiently or permanently — while later batches were already applied
 * after it, the failed batch and every later one are applied again in log order, so the LAST
 * application of every event is in log order (what keeps the later content when a transaction's
 * writes share a version); positions are committed only in order and only past applied events.
 *
 * The batches in flight are made, not hoped for: the sink holds its answers while the test appends one
 * group of events at a time (atomically) and waits until the task has handed that group to the sink, so
 * three batches are in flight together whatever the machine's load; then the oldest one's answer fails.
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
  type RedisClient,
} from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { deleteNamespace, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { PartitionTask } from './partition-task';
import { makeEvent } from './testing/append-events';
import { RecordingSink, appliedRecords } from './testing/recording-sink';

const TABLE = 'public.items';
/** A partition of its own per case. */
const PARTITION: Record<string, number> = { transient: 1, permanent: 2 };
const DEPTH = 3;
const GROUP = 3;

/**
 * Writes land in call order (one chain, like the ES sink's turns over its bulk writer); each call then
 * waits for its answer: at once, or, while `held`, until the test releases the held answers. `fail`
 * decides, per answer, to fail after the call's writes landed.
 */
class InOrderSink extends RecordingSink {
  readonly batchesInFlight = DEPTH;
  private landed: Promise<unknown> = Promise.resolve();
  private held: Promise<void> | undefined;
  private releaseHeld: () => void = () => undefined;
  /** The last event id of every call, in call order. */
  readonly started: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  fail: (batch: SinkBatch) => Error | undefined = () => undefined;

  hold(): void {
    this.held = new Promise((resolve) => (this.releaseHeld = resolve));
  }

  release(): void {
    this.held = undefined;
    this.releaseHeld();
  }

  override async apply(batch: SinkBatch): Promise<ApplyResult> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.started.push(batch.lastId);
    const answer = this.held;
    try {
      const written = this.landed.then(() => super.apply(batch));
      this.landed = written.catch(() => undefined);
      const result = await written;
      await answer;
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

  /** A task on the case's own partition, and a way to append groups of events to it. */
  async function start(name: string) {
    const partition = PARTITION[name];
    const sink = new InOrderSink({ name, tables: [TABLE], redis, prefix: `{${namespace}:rec}:${name}`, worker: 'w' });
    const fencingToken = (await acquireLease(redis, keys, name, partition, 'w', 60_000)) as number;
    const taskRedis: RedisClient = connectRedis({ url: redisUrl() });
    const task = new PartitionTask({
      log: new ChangeLog(taskRedis, keys, 16),
      sink,
      claim: { sink: name, partition, fencingToken },
      batchSize: 40, // a group of 3 stays below a quarter of it: several batches in flight
      blockMs: 100,
      backoff: { baseMs: 5, capMs: 20 },
      isPaused: () => false,
      logger: silentLogger,
    });
    const events: ChangeEvent[] = [];
    /** Appends one group in one transaction (the task reads it whole) and waits until it reached the sink. */
    const appendGroup = async (): Promise<ChangeEvent[]> => {
      const group: ChangeEvent[] = [];
      const multi = redis.multi();
      for (let i = 0; i < GROUP; i++) {
        const event = makeEvent(TABLE, events.length % 5, 'u', { n: String(events.length) });
        events.push(event);
        group.push(event);
        const encoded = encodeEvent(event);
        multi.xadd(keys.partition(partition), encoded.id, ...Object.entries(encoded.fields).flat());
      }
      await multi.exec();
      const last = positionToId(group[group.length - 1].pos);
      await waitFor('the group handed to the sink', async () => sink.started.includes(last), { timeoutMs: 20_000 });
      return group;
    };
    /** DEPTH groups in flight together, the oldest one's answer decided by `failOldest`, then released. */
    const inFlightTogether = async (failOldest: (oldest: ChangeEvent[]) => void): Promise<void> => {
      sink.hold();
      const groups: ChangeEvent[][] = [];
      for (let i = 0; i < DEPTH; i++) groups.push(await appendGroup());
      expect(sink.inFlight, 'batches in flight together').toBe(DEPTH);
      failOldest(groups[0]);
      sink.release();
    };
    const finish = async (): Promise<void> => {
      const last = positionToId(events[events.length - 1].pos);
      await waitFor('the task at the end', async () => task.position === last, { timeoutMs: 20_000 });
      await task.stop();
      taskRedis.disconnect();
      expect(await committedPosition(redis, keys, name, partition)).toBe(last);
    };
    return { sink, events, appendGroup, inFlightTogether, finish };
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
    const { sink, events, appendGroup, inFlightTogether, finish } = await start('transient');
    let failed = 0;
    let failing: string | undefined;
    sink.fail = (batch) => {
      if (batch.lastId !== failing) return undefined;
      failing = undefined; // once: the retry succeeds
      failed++;
      return new RetryableError(`target overloaded (${batch.lastId})`);
    };
    await appendGroup();
    for (let round = 0; round < 2; round++) {
      await inFlightTogether((oldest) => (failing = positionToId(oldest[oldest.length - 1].pos)));
      await appendGroup();
    }
    await finish();
    expect(failed).toBe(2);
    expect(sink.maxInFlight).toBe(DEPTH);
    await expectLastApplicationsInOrder('transient', events);
  });

  it('a permanent failure while later batches are in flight: the poison event dead-lettered, the rest in order', async () => {
    const { sink, events, appendGroup, inFlightTogether, finish } = await start('permanent');
    let poison: string | undefined;
    sink.fail = (batch) =>
      batch.events.some((e) => positionToId(e.pos) === poison) ? new EventRejectedError('mapping conflict') : undefined;
    await appendGroup();
    await inFlightTogether((oldest) => (poison = positionToId(oldest[0].pos)));
    await appendGroup();
    await finish();
    const letters = (await listDeadLetters(redis, keys, 'permanent')).items;
    expect(letters.map((l) => positionToId(l.event.pos))).toEqual([poison]);
    // the poison event was written before its error (this sink fails after writing): only its last
    // application may be out of place, every other event's is in log order
    await expectLastApplicationsInOrder('permanent', events, [poison as string]);
  });
});
