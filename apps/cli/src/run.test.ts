import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, LogKeys } from '@distributary/changelog';
import { freePort, pgUrl, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { cacheConfigYaml } from './test-support/cache-config';
import { spawnCli } from './test-support/spawn-cli';

const dir = mkdtempSync(join(tmpdir(), 'distributary-run-'));
const namespace = uniqueName('cli_run');
const redis = connectRedis({ url: redisUrl(0) });

afterAll(async () => {
  await redis.del(new LogKeys(namespace).sinkFingerprints());
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('distributary run', () => {
  it('--only admin prints the sink plan, serves the admin API, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const file = join(dir, 'run.yaml');
    writeFileSync(
      file,
      cacheConfigYaml({
        postgres: `url: "${pgUrl('postgres')}", slot: ${namespace}`,
        redis: redisUrl(0),
        namespace,
        admin: { port, token: 'run-test-operator-token' },
      }),
    );
    const run = spawnCli(['run', '--only', 'admin', '--config', file]);
    const { child, exited } = run;
    try {
      await waitFor('the admin API to answer', async () => {
        if (child.exitCode !== null) throw new Error(`run exited early (${child.exitCode}): ${run.output().stderr}`);
        const response = await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined);
        return response?.status === 200;
      });
      expect(run.output().stdout).toContain(
        `distributary run ${file} (admin)\nsinks:\n  + cache: new sink -> bootstrap\n`,
      );
      const unauthorized = await fetch(`http://127.0.0.1:${port}/api/config`);
      expect(unauthorized.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(run.output().stdout).not.toContain('run-test-operator-token');
  });
});
