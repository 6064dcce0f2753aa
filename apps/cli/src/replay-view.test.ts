import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent, partitionFor, positionToId, type ChangeEvent } from '@distributary/core';
import { materializedViewSinkSchema } from '@distributary/config';
import { LogKeys, connectRedis, type RedisClient } from '@distributary/changelog';
import { createMaterializedViewSink } from '@distributary/sink-materialized-view';
import { createTestDatabase, deleteNamespace, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { runInProcess } from './test-support/in-process';

/**
 * `replay <view> --from start` rebuilds the view from the log (it used to print "positions reset" and
 * change nothing: the worker resumed from the view's own stored positions); a midpoint is refused.
 */
const PARTITIONS = 2;
const dir = mkdtempSync(join(tmpdir(), 'distributary-replay-view-'));
const namespace = uniqueName('rview');
const keys = new LogKeys(namespace);
const table = uniqueName('public.by_status');
let db: TestDatabase;
let redis: RedisClient;
let configFile: string;

function order(id: number, status: string, lsn: bigint): ChangeEvent {
  return {
    pos: { lsn, seq: 0 },
    op: 'c',
    table: 'public.orders',
    key: { id },
    after: { id, status, amount: 10 },
    commitTs: new Date().toISOString(),
  };
}

beforeAll(async () => {
  db = await createTestDatabase('rview');
  redis = connectRedis({ url: redisUrl(0) });
  await db.sql(`CREATE TABLE orders (id int PRIMARY KEY, status text, amount int)`);
  const sql = 'SELECT status, count(*) AS n, sum(amount) AS total FROM public.orders GROUP BY status';
  const stateSchema = uniqueName('rview_state');
  configFile = join(dir, 'distributary.yaml');
  writeFileSync(
    configFile,
    [
      'source:',
      `  postgres: { url: "${db.url}", slot: ${uniqueName('slot')} }`,
      '  tables: [public.orders]',
      'log:',
      `  redis: { url: "${redisUrl(0)}" }`,
      `  namespace: ${namespace}`,
      `  partitions: ${PARTITIONS}`,
      'sinks:',
      '  - name: by-status',
      `    view: { postgres: "${db.url}", table: ${table}, stateSchema: ${stateSchema} }`,
      `    sql: "${sql}"`,
      '',
    ].join('\n'),
  );
  const events = [order(1, 'paid', 100n), order(2, 'paid', 200n), order(3, 'open', 300n), order(4, 'paid', 400n)];
  const byPartition = new Map<number, ChangeEvent[]>();
  for (const event of events) {
    const p = partitionFor(event.table, event.key, PARTITIONS);
    const encoded = encodeEvent(event);
    await redis.xadd(keys.partition(p), encoded.id, ...Object.entries(encoded.fields).flat());
    byPartition.set(p, [...(byPartition.get(p) ?? []), event]);
  }
  // The view as a worker would have built it: every event applied, positions stored.
  const sink = await createMaterializedViewSink(
    materializedViewSinkSchema.parse({ name: 'by-status', view: { postgres: db.url, table, stateSchema }, sql }),
    { sourceUrl: db.url, pipeline: namespace },
  );
  await sink.open();
  for (const [partition, list] of byPartition)
    await sink.apply({
      sink: 'by-status',
      partition,
      events: list,
      lastId: positionToId(list[list.length - 1].pos),
      fencingToken: 1,
    });
  await sink.close();
});

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  redis.disconnect();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const rows = () => db.sql(`SELECT status, n::int AS n, total::int AS total FROM ${table} ORDER BY status`);

describe('replay of a materialized view', () => {
  it('refuses a midpoint with the reason, and rebuilds the damaged view from the log with --from start', async () => {
    expect(await rows()).toEqual([
      { status: 'open', n: 1, total: 10 },
      { status: 'paid', n: 3, total: 30 },
    ]);
    await db.sql(`UPDATE ${table} SET n = 999`); // damage the target

    const midpoint = await runInProcess(['replay', 'by-status', '--from', '200-0', '--config', configFile]);
    expect(midpoint.code).toBe(1);
    expect(midpoint.stderr).toMatch(/materialized view: its state is cumulative .* --from start` rebuilds it/);

    const replay = await runInProcess(['replay', 'by-status', '--config', configFile]);
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(
      /view by-status rebuilt from the compacted log: generation 2, 4 event\(s\), 0 rejected/,
    );
    expect(await rows()).toEqual([
      { status: 'open', n: 1, total: 10 },
      { status: 'paid', n: 3, total: 30 },
    ]);
    expect(await redis.smembers(keys.pausedSinks())).toEqual([]);
  });
});
