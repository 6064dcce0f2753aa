import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '@distributary/changelog';
import {
  clusterNodes,
  createTestDatabase,
  deleteNamespace,
  freePort,
  redisUrl,
  type TestDatabase,
  uniqueName,
  waitFor,
} from '@distributary/testkit';
import { cacheConfigYaml } from './test-support/cache-config';
import { runCli } from './test-support/run-cli';
import { spawnCli } from './test-support/spawn-cli';

// The whole pipeline — connector, worker and admin in one `distributary run` — with the change log on
// the local 3-node Redis Cluster (the documented scale-out path), then `status` against the same log.
const dir = mkdtempSync(join(tmpdir(), 'distributary-run-cluster-'));
const namespace = uniqueName('cli_cluster');
const clusterUrls = clusterNodes().map(({ host, port }) => `redis://${host}:${port}`);
let db: TestDatabase;
let log: RedisClient;
let cache: RedisClient;

beforeAll(async () => {
  db = await createTestDatabase('cli_cluster');
  await db.sql('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
  log = connectRedis({ cluster: clusterUrls });
  cache = connectRedis({ url: redisUrl(0) });
});

afterAll(async () => {
  await deleteNamespace(log, namespace);
  const keys = await cache.keys(`${namespace}:*`);
  if (keys.length) await cache.del(...keys);
  log.disconnect();
  cache.disconnect();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('distributary run with the log on Redis Cluster', () => {
  it('captures, applies and reports through a 3-node cluster log', async () => {
    const port = await freePort();
    const file = join(dir, 'cluster.yaml');
    writeFileSync(
      file,
      cacheConfigYaml({
        postgres: `url: "${db.url}", slot: ${namespace}, publication: ${namespace}, snapshot: initial, heartbeat: 1s`,
        redis: redisUrl(0),
        logRedis: `cluster: [${clusterUrls.map((u) => `"${u}"`).join(', ')}]`,
        namespace,
        partitions: 4,
        admin: { port, token: 'cluster-test-operator-token' },
      }),
    );
    await db.sql(`INSERT INTO items SELECT g, 'before ' || g FROM generate_series(1, 20) g`);
    const run = spawnCli(['run', '--config', file, '--metrics-port', '0']);
    const { child, exited } = run;
    try {
      const alive = (): void => {
        if (child.exitCode !== null) throw new Error(`run exited early (${child.exitCode}): ${run.output().stderr}`);
      };
      await waitFor(
        'the snapshot rows in the cache',
        async () => {
          alive();
          return (await cache.exists(`${namespace}:20`)) === 1;
        },
        { timeoutMs: 90_000 },
      );
      await db.sql(`INSERT INTO items SELECT g, 'streamed ' || g FROM generate_series(21, 60) g`);
      await db.sql(`UPDATE items SET name = 'updated' WHERE id <= 10`);
      await waitFor(
        'streamed changes in the cache',
        async () => {
          alive();
          const [last, updated] = await Promise.all([cache.get(`${namespace}:60`), cache.get(`${namespace}:1`)]);
          return last !== null && updated !== null && updated.includes('updated');
        },
        { timeoutMs: 60_000 },
      );
      // The roles start in parallel processes: the admin API may come up after the others applied.
      await waitFor('every role up', () => {
        alive();
        return Promise.resolve(run.output().stdout.includes('running; '));
      });
      const health = await fetch(`http://127.0.0.1:${port}/health/live`);
      expect(health.status).toBe(200);
      expect(run.output().stderr).not.toContain('already connecting');

      const status = await runCli(['status', '--json', '--config', file]);
      expect(status.stderr).not.toContain('already connecting');
      expect(status.code).toBe(0);
      const report = JSON.parse(status.stdout) as { log?: { partitions?: number } };
      expect(JSON.stringify(report)).toContain(namespace);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 180_000);
});
