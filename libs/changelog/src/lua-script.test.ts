import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterNodes, redisUrl, uniqueName } from '@distributary/testkit';
import { connectRedis, defineScripts, type RedisClient } from '@distributary/changelog';

const dir = mkdtempSync(join(tmpdir(), 'lua-script-'));
// unique text, so no server has this script cached before the test
writeFileSync(join(dir, 'echo.lua'), `-- ${uniqueName('echo')}\nreturn {KEYS[1], ARGV[1], #KEYS}\n`);
const scripts = defineScripts(dir, { echo: 'echo' });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function flushScripts(redis: RedisClient): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  await Promise.all(nodes.map((node) => node.script('FLUSH')));
}

describe.each([
  ['single Redis', () => connectRedis({ url: redisUrl() })],
  ['Redis Cluster', () => connectRedis({ cluster: clusterNodes().map((n) => `redis://${n.host}:${n.port}`) })],
])('defineScripts on %s', (_, connect) => {
  it('runs a .lua file as a command, and again after the server forgot it (NOSCRIPT -> EVAL)', async () => {
    const redis = connect();
    try {
      const keys = ['{lua-a}:x', '{lua-b}:y', '{lua-c}:z'];
      for (const key of keys) expect(await scripts.echo.run(redis, [key], ['v'])).toEqual([key, 'v', 1]);
      await flushScripts(redis);
      for (const key of keys) expect(await scripts.echo.run(redis, [key], ['w'])).toEqual([key, 'w', 1]);
      // the command is named by the script's digest: Redis commands of the client stay what they were
      expect(await redis.get('{lua-a}:never-set')).toBeNull();
    } finally {
      redis.disconnect();
    }
  });
});
