import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '@distributary/changelog';
import { createTestDatabase, deleteNamespace, redisUrl, uniqueName, type TestDatabase } from '@distributary/testkit';
import { cacheConfigYaml } from './test-support/cache-config';
import { runInProcess } from './test-support/in-process';
import { spawnCli } from './test-support/spawn-cli';

const dir = mkdtempSync(join(tmpdir(), 'distributary-run-aon-'));
const namespace = uniqueName('cli_aon');
const redis = connectRedis({ url: redisUrl(0) });
let source: TestDatabase;
let blocker: Server;
let port = 0;

beforeAll(async () => {
  source = await createTestDatabase('aon');
  await source.sql('CREATE TABLE public.items (id int PRIMARY KEY, name text)');
  blocker = createServer();
  await new Promise<void>((ready) => blocker.listen(0, '127.0.0.1', ready));
  const address = blocker.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  await new Promise<void>((closed) => blocker.close(() => closed()));
  await deleteNamespace(redis, namespace);
  redis.disconnect();
  await source?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('distributary run is all or nothing', () => {
  it('a role that cannot start (admin port taken) stops the others and exits non-zero, naming it', async () => {
    const file = join(dir, 'run.yaml');
    writeFileSync(
      file,
      cacheConfigYaml({
        postgres: `url: "${source.url}", slot: ${namespace}`,
        redis: redisUrl(0),
        namespace,
        admin: { port, token: 'run-test-operator-token' },
      }),
    );
    const run = spawnCli(['run', '--config', file]);
    const code = await run.exited;
    expect(code).toBe(1);
    expect(run.output().stderr).toContain(
      `the admin role failed to start: listen EADDRINUSE: address already in use 127.0.0.1:${port} (stopped: connector, worker)`,
    );
  });

  it('refuses two sinks of one pipeline on one target before starting anything, naming both', async () => {
    const file = join(dir, 'shared.yaml');
    writeFileSync(
      file,
      [
        'source:',
        `  postgres: { url: "${source.url}", slot: ${namespace}_shared }`,
        '  tables: [public.items]',
        'log:',
        `  redis: { url: "${redisUrl(0)}" }`,
        `  namespace: ${namespace}_shared`,
        'sinks:',
        ...['cache-a', 'cache-b'].flatMap((name) => [
          `  - name: ${name}`,
          `    redis: { url: "${redisUrl(0)}" }`,
          '    from: public.items',
          `    key: "${namespace}:${name}:{id}"`,
          `    namespace: "${namespace}:bookkeeping"`,
        ]),
        '',
      ].join('\n'),
    );
    const result = await runInProcess(['run', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `sinks[1] (cache-b) and sinks[0] (cache-a) both maintain the cache bookkeeping namespace ${namespace}:bookkeeping`,
    );
  });
});
