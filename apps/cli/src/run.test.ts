import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, LogKeys } from '@distributary/changelog';
import { freePort, pgUrl, redisUrl, uniqueName, waitFor } from '@distributary/testkit';
import { repoRoot } from './test-support/run-cli';

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
      [
        'source:',
        `  postgres: { url: "${pgUrl('postgres')}", slot: ${namespace} }`,
        '  tables: [public.items]',
        'log:',
        `  redis: { url: "${redisUrl(0)}" }`,
        `  namespace: ${namespace}`,
        '  partitions: 2',
        'sinks:',
        '  - name: cache',
        `    redis: { url: "${redisUrl(0)}" }`,
        '    from: public.items',
        `    key: "${namespace}:{id}"`,
        'admin:',
        `  port: ${port}`,
        '  host: 127.0.0.1',
        '  tokens: [{ token: "run-test-operator-token", role: operator }]',
        '',
      ].join('\n'),
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(repoRoot, 'apps/cli/src/main.ts'), 'run', '--only', 'admin', '--config', file],
      { cwd: repoRoot, env: { ...process.env, DISTRIBUTARY_ADMIN_TOKENS: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
    try {
      await waitFor('the admin API to answer', async () => {
        if (child.exitCode !== null) throw new Error(`run exited early (${child.exitCode}): ${stderr}`);
        const response = await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined);
        return response?.status === 200;
      });
      expect(stdout).toContain(`distributary run ${file} (admin)\nsinks:\n  + cache: new sink -> bootstrap\n`);
      const unauthorized = await fetch(`http://127.0.0.1:${port}/api/config`);
      expect(unauthorized.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).not.toContain('run-test-operator-token');
  });
});
