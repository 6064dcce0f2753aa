import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendDeadLetter,
  connectRedis,
  LogKeys,
  writeConnectorState,
  type RedisClient,
} from '@distributary/changelog';
import { loadConfig } from '@distributary/config';
import { encodeEvent, type ChangeEvent } from '@distributary/core';
import { createTestDatabase, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { planSinkChanges, recordSettledSinks } from './config-plan';
import type { PipelineStatus } from './status/collect-status';
import { cacheConfigYaml } from './test-support/cache-config';
import { runInProcess } from './test-support/in-process';
import { runCli } from './test-support/run-cli';

// Real Postgres (a slot in a fresh database) and the real Redis, under a unique namespace. The URLs
// carry passwords (trust auth / no requirepass accept them) so the tests can prove they never leak.
const PG_SECRET = 'pg-secret-9';
const REDIS_SECRET = 'redis-secret-9';

let db: TestDatabase;
let redis: RedisClient;
let keys: LogKeys;
let configFile: string;
let namespace: string;
const slot = uniqueName('cli_slot');
const dir = mkdtempSync(join(tmpdir(), 'distributary-status-'));

function event(id: number, lsn: bigint): ChangeEvent {
  return { pos: { lsn, seq: 0 }, op: 'c', table: 'public.items', key: { id }, after: { id, name: `item ${id}` } };
}

function writeConfig(key = 'item:{id}'): void {
  const url = new URL(db.url);
  url.password = PG_SECRET;
  const logUrl = new URL(redisUrl(0));
  logUrl.password = REDIS_SECRET;
  writeFileSync(
    configFile,
    cacheConfigYaml({
      postgres: `url: "${url.toString()}", slot: ${slot}`,
      redis: redisUrl(0),
      logRedis: `url: "${logUrl.toString()}"`,
      namespace,
      key: `${namespace}:${key}`,
    }),
  );
}

beforeAll(async () => {
  db = await createTestDatabase('cli_status');
  await db.sql(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  namespace = uniqueName('cli');
  keys = new LogKeys(namespace);
  redis = connectRedis({ url: redisUrl(0) });
  configFile = join(dir, 'distributary.yaml');
  writeConfig();
  // Partition 0: three events, the sink has applied the first; partition 1: two, none applied.
  const events = [event(1, 100n), event(2, 200n), event(3, 300n)].map((e) => encodeEvent(e));
  for (const e of events) await redis.xadd(keys.partition(0), e.id, ...Object.entries(e.fields).flat());
  for (const e of [event(4, 400n), event(5, 500n)].map((e) => encodeEvent(e))) {
    await redis.xadd(keys.partition(1), e.id, ...Object.entries(e.fields).flat());
  }
  await redis.hset(keys.positions(0), 'cache', events[0].id);
  await appendDeadLetter(redis, keys, 'cache', 0, event(6, 600n), 'value out of range');
  await appendDeadLetter(redis, keys, 'cache', 1, event(7, 700n), 'mapping conflict');
  await writeConnectorState(redis, keys, { slot, leader: 'test-leader', confirmedLsn: '0/1' });
});

afterAll(async () => {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `{${namespace}:*`, 'COUNT', 1000);
    if (found.length) await redis.del(...found);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('distributary status', () => {
  it('--json reports slot, partitions, lag, dead letters and connector state, without secrets', async () => {
    const result = await runCli(['status', '--json', '--config', configFile]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    for (const secret of [PG_SECRET, REDIS_SECRET]) expect(result.stdout + result.stderr).not.toContain(secret);
    const status = JSON.parse(result.stdout) as PipelineStatus;
    expect(status.source).toMatchObject({ slot, exists: true, active: false });
    expect(status.source.url).toContain(':***@');
    expect(status.source.confirmedFlushLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(BigInt(status.source.retainedWalBytes ?? 'x')).toBeGreaterThanOrEqual(0n);
    expect(status.connector).toMatchObject({ slot, leader: 'test-leader', confirmedLsn: '0/1' });
    expect(status.log.partitions.map((p) => [p.partition, p.length, p.firstId, p.lastId])).toEqual([
      [0, 3, '100-0', '300-0'],
      [1, 2, '400-0', '500-0'],
    ]);
    expect(status.sinks).toHaveLength(1);
    expect(status.sinks[0]).toMatchObject({
      name: 'cache',
      kind: 'redis',
      paused: false,
      deadLetters: 2,
      // (300 − 100) in partition 0 + (500 − 0) in partition 1
      lag: { entries: 4, capped: false, bytes: '700' },
    });
    expect(status.source.health).toMatchObject({ state: 'ok', exists: true, active: false, walStatus: 'reserved' });
    // Nothing reads the slot and entries are unapplied: never "caught up"; bytes against the source's WAL position.
    expect(status.sinks[0].sourceLag).toMatchObject({
      caughtUp: false,
      why: 'nothing is reading the replication slot',
    });
    expect(BigInt(status.sinks[0].sourceLag?.bytes ?? '0')).toBeGreaterThan(0n);
    expect(status.jobs[0]).toMatchObject({ queue: 'log-maintenance' });
    expect(status.snapshots).toEqual([]);
  });

  it('prints readable tables', async () => {
    const result = await runInProcess(['status', '--config', configFile]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(slot);
    expect(result.stdout).toMatch(/│ cache +│ redis +│ 4 +│/);
    expect(result.stdout).toContain('test-leader');
    expect(result.stdout).not.toContain(PG_SECRET);
  });
});

describe('distributary dlq / replay / compact', () => {
  it('dlq list shows the dead letters; drop removes them', async () => {
    const listed = await runInProcess(['dlq', 'list', 'cache', '--json', '--config', configFile]);
    expect(listed.code).toBe(0);
    const page = JSON.parse(listed.stdout) as { items: { id: string; error: string; partition: number }[] };
    expect(page.items.map((i) => [i.partition, i.error])).toEqual([
      [0, 'value out of range'],
      [1, 'mapping conflict'],
    ]);
    const dropOne = await runInProcess(['dlq', 'drop', 'cache', page.items[0].id, '--config', configFile]);
    expect(dropOne.stdout).toBe('dropped 1 dead letter(s) of cache\n');
    expect(await redis.xlen(keys.deadLetters('cache'))).toBe(1);
    const unknown = await runInProcess(['dlq', 'list', 'nope', '--config', configFile]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('unknown sink "nope" (configured sinks: cache)\n');
  });

  it('replay resets the sink positions', async () => {
    const fromId = await runInProcess(['replay', 'cache', '--from', '400-0', '-p', '1', '--config', configFile]);
    expect(fromId.code).toBe(0);
    expect(await redis.hget(keys.positions(1), 'cache')).toBe('400-0');
    const fromStart = await runInProcess(['replay', 'cache', '--config', configFile]);
    expect(fromStart.stdout).toBe(
      'sink cache: positions reset to the start in 2 partition(s); workers replay from there\n',
    );
    expect(await redis.hget(keys.positions(0), 'cache')).toBeFalsy();
    expect(await redis.hget(keys.positions(1), 'cache')).toBeFalsy();
    const bad = await runInProcess(['replay', 'cache', '--from', 'yesterday', '--config', configFile]);
    expect(bad.code).toBe(1);
  });

  it('compact runs retention and reports per partition', async () => {
    const result = await runInProcess(['compact', '--json', '--config', configFile]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { mode: string; partitions: { partition: number; scanned: number }[] };
    expect(report.mode).toBe('compact');
    expect(report.partitions.map((p) => p.partition)).toEqual([0, 1]);
    // Everything is younger than minLag (10m): nothing may be removed.
    expect(await redis.xlen(keys.partition(0))).toBe(3);
  });
});

describe('distributary snapshot', () => {
  it('queues an incremental snapshot for the connector and lists it', async () => {
    const started = await runInProcess(['snapshot', 'items', '--chunk', '50', '--config', configFile]);
    expect(started.code).toBe(0);
    const id = /^snapshot (\S+) of public\.items queued\n$/.exec(started.stdout)?.[1];
    expect(id).toBeDefined();
    const { SnapshotRequests } = await import('@distributary/control');
    const record = await new SnapshotRequests(redis, keys).get(id ?? '');
    expect(record).toMatchObject({ table: 'public.items', status: 'queued', chunkSize: 50, reason: 'cli' });
    const listed = await runInProcess(['snapshot', '--list', '--config', configFile]);
    expect(listed.stdout).toContain(`${id}  public.items  queued`);
    const unknown = await runInProcess(['snapshot', 'public.nope', '--config', configFile]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('not a source table: public.nope (source.tables: public.items)\n');
  });
});

describe('sink fingerprints across runs', () => {
  it('new → bootstrap; unchanged; shape change → rebuild, announced again until carried out', async () => {
    writeConfig();
    const first = loadConfig(configFile);
    const planned = await planSinkChanges(redis, keys, first);
    expect(planned.added).toEqual([{ name: 'cache', action: 'bootstrap', changed: [] }]);
    await recordSettledSinks(redis, keys, first, planned);
    expect(await planSinkChanges(redis, keys, first)).toMatchObject({ unchanged: ['cache'], added: [] });

    writeConfig('thing:{id}');
    const changed = loadConfig(configFile);
    const rebuild = await planSinkChanges(redis, keys, changed);
    expect(rebuild.changed).toEqual([{ name: 'cache', action: 'rebuild', changed: ['shape'] }]);
    await recordSettledSinks(redis, keys, changed, rebuild);
    expect((await planSinkChanges(redis, keys, changed)).changed).toEqual(rebuild.changed);
  });
});
