import { afterAll, describe, expect, it } from 'vitest';
import { START_ID, type ChangeEvent } from '@distributary/core';
import {
  DeadLetterReplays,
  LogKeys,
  connectRedis,
  deadLetterCount,
  listDeadLetters,
  partitionStats,
  readWorkerStatus,
  replayDeadLetters,
  sinkPositions,
  type RedisClient,
} from '@distributary/changelog';
import { registry } from '@distributary/observability';
import { clusterNodes, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { SinkRunner } from './sink-runner';
import { appendEvents, makeEvent } from './testing/append-events';
import { deleteNamespace } from '@distributary/testkit';
import { RecordingSink, appliedRecords } from './testing/recording-sink';

const PARTITIONS = 3;

const targets: Record<string, () => RedisClient> = {
  'single Redis': () => connectRedis({ url: redisUrl() }),
  'Redis Cluster': () => connectRedis({ cluster: clusterNodes().map((n) => `redis://${n.host}:${n.port}`) }),
};

describe.each(Object.entries(targets))('SinkRunner on %s', (_name, connect) => {
  const redis = connect();
  const namespace = uniqueName('runner');
  const keys = new LogKeys(namespace);
  const prefix = `{${namespace}:rec}`;
  afterAll(async () => {
    await deleteNamespace(redis, namespace);
    redis.disconnect();
  });

  async function allApplied(partitions = PARTITIONS): Promise<string[]> {
    const all: string[] = [];
    for (let p = 0; p < partitions; p++) all.push(...(await appliedRecords(redis, prefix, p)).map((r) => r.id));
    return all;
  }

  async function caughtUp(sink: string): Promise<boolean> {
    const positions = await sinkPositions(redis, keys, sink, PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) {
      const stats = await partitionStats(redis, keys, p);
      if (stats.lastId && positions.get(p) !== stats.lastId) return false;
    }
    return true;
  }

  it('retries a failing sink with backoff, loses and skips nothing, dead-letters rejects, pauses, replays', async () => {
    const events: ChangeEvent[] = [];
    for (let i = 0; i < 60; i++)
      events.push(makeEvent(i % 4 === 0 ? 'public.other' : 'public.items', i % 15, i < 15 ? 'c' : 'u'));
    await appendEvents(redis, keys, PARTITIONS, events);
    const sink = new RecordingSink({
      name: 'rec',
      tables: ['public.items'],
      redis,
      prefix,
      worker: 'w1',
      failFirst: 6,
      failOpenFirst: 2,
      reject: (e) => (e.key.id === '7' ? 'value out of range for column "id"' : undefined),
    });
    const runner = new SinkRunner({
      redis,
      namespace,
      partitions: PARTITIONS,
      sinks: [sink],
      batchSize: 7,
      blockMs: 200,
      statusEveryMs: 200,
      backoff: { baseMs: 5, capMs: 40 },
      deadLetterPickupMs: 300,
    });
    await runner.start();
    expect(sink.opens).toBe(3);
    try {
      await waitFor('the sink to catch up', () => caughtUp('rec'));
      const items = events.filter((e) => e.table === 'public.items');
      const expectedApplied = items.filter((e) => e.key.id !== '7').map((e) => `${e.pos.lsn}-0`);
      // every event applied exactly once here (one owner, no crash), in order per partition
      expect((await allApplied()).sort()).toEqual([...expectedApplied].sort());
      for (let p = 0; p < PARTITIONS; p++) {
        const ids = (await appliedRecords(redis, prefix, p)).map((r) => BigInt(r.id.split('-')[0]));
        expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
      }
      expect(sink.calls).toBeGreaterThan(6);
      const retries = await registry.getSingleMetric('distributary_sink_retries_total')?.get();
      expect(
        retries?.values.find((v) => v.labels.sink === 'rec' && v.labels.step === 'apply')?.value,
      ).toBeGreaterThanOrEqual(6);

      // the rejected events are dead letters, with event, error and partition
      const rejected = items.filter((e) => e.key.id === '7');
      const page = await listDeadLetters(redis, keys, 'rec', { limit: 100 });
      expect(page.items.map((d) => d.event.pos)).toEqual(expect.arrayContaining(rejected.map((e) => e.pos)));
      expect(page.items).toHaveLength(rejected.length);
      expect(page.items[0].error).toMatch(/out of range/);

      // a status hash other processes can read
      const status = await waitFor('the worker status', () => readWorkerStatus(redis, keys, runner.workerId));
      expect(status.owned.map((o) => o.partition).sort()).toEqual([0, 1, 2]);
      // and a time reference (checkpoint) for retention in every owned partition
      for (let p = 0; p < PARTITIONS; p++) {
        await waitFor(`a checkpoint of partition ${p}`, async () => (await redis.zcard(keys.clock(p))) > 0);
      }

      // paused: nothing more is applied until resumed
      await runner.pause('rec');
      await waitFor('every task to be paused', async () => runner.status().owned.every((o) => o.state === 'paused'));
      const more = [makeEvent('public.items', 100), makeEvent('public.items', 101)];
      await appendEvents(redis, keys, PARTITIONS, more);
      const before = (await allApplied()).length;
      const seen = (await readWorkerStatus(redis, keys, runner.workerId))?.updatedAt;
      await waitFor(
        'two more status rounds',
        async () => (await readWorkerStatus(redis, keys, runner.workerId))?.updatedAt !== seen,
      );
      expect((await allApplied()).length).toBe(before);
      expect((await readWorkerStatus(redis, keys, runner.workerId))?.pausedSinks).toEqual(['rec']);
      await runner.resume('rec');
      await waitFor('the paused events to arrive', async () => (await allApplied()).length === before + 2);

      // dead-letter replay requested from another process (a job the worker runs) re-syncs the keys from
      // the source through a snapshot; with no connector to run it, it fails saying so and keeps them
      const replays = new DeadLetterReplays(redis, keys);
      try {
        await expect(replays.waitForResult(await replays.request({ sink: 'rec' }))).rejects.toThrow(
          /not picked up within 300 ms; the dead letters are kept; no connector of this pipeline has reported recently: is one running\?/,
        );
        expect(await deadLetterCount(redis, keys, 'rec')).toBe(rejected.length);
      } finally {
        await replays.close();
      }
      // re-applying the stored events (the library function) once the sink accepts them
      sink.reject = undefined;
      const replayed = await replayDeadLetters(redis, keys, sink);
      expect(replayed).toMatchObject({ replayed: rejected.length, failed: 0 });
      expect(await deadLetterCount(redis, keys, 'rec')).toBe(0);

      // replay from the start: every event is applied again
      const total = (await allApplied()).length;
      await runner.replay('rec', START_ID);
      await waitFor('the replay', async () => (await allApplied()).length === total + items.length + 2, {
        timeoutMs: 20_000,
      });
    } finally {
      await runner.stop();
    }
    // graceful stop released every lease and removed the status
    for (let p = 0; p < PARTITIONS; p++) expect(await redis.exists(keys.lease(p, 'rec'))).toBe(0);
    expect(await readWorkerStatus(redis, keys, runner.workerId)).toBeUndefined();
    expect(sink.opened).toBe(false);
  });
});
