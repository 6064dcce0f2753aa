/** A server that does not answer may be restarting: run's preflight waits for it (bounded), while a
 * server that refuses (here: a Redis database it does not have) is refused at once. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@distributary/config';
import { redisUrl, stack, startTcpProxy, uniqueName } from '@distributary/testkit';
import { checkServers, preflight } from './index';

const dir = mkdtempSync(join(tmpdir(), 'distributary-preflight-wait-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configWithEs(esUrl: string, logRedis = redisUrl(0)) {
  const file = join(dir, `${uniqueName('w')}.yaml`);
  const text = [
    'source:',
    '  postgres: { url: "postgres://postgres@127.0.0.1:1/none" }',
    '  tables: [public.t]',
    'log:',
    `  redis: { url: "${logRedis}" }`,
    `  namespace: ${uniqueName('pfw')}`,
    'sinks:',
    `  - { name: s, elasticsearch: { url: "${esUrl}", index: ${uniqueName('pfw').replace(/_/g, '-')} }, from: public.t }`,
    '',
  ].join('\n');
  writeFileSync(file, text);
  return { file, config: parseConfig(text, { file, env: {} }) };
}

describe('preflight waits for servers that do not answer, not for ones that refuse', () => {
  it('marks an unreachable Elasticsearch as worth waiting for, and passes once it answers', async () => {
    const proxy = await startTcpProxy(stack.esPort);
    try {
      proxy.cut();
      const { file, config } = configWithEs(proxy.url('http'));
      const problems = await checkServers(config, ['worker']);
      expect(problems).toEqual([
        expect.objectContaining({ path: ['sinks', 0, 'elasticsearch', 'url'], unreachable: true }),
      ]);
      process.env.DISTRIBUTARY_PREFLIGHT_WAIT_MS = '60000';
      const resumed = new Promise<void>((resolve) =>
        setTimeout(() => {
          proxy.resume();
          resolve();
        }, 1500),
      );
      await preflight(file, config, ['worker']);
      await resumed;
    } finally {
      delete process.env.DISTRIBUTARY_PREFLIGHT_WAIT_MS;
      await proxy.close();
    }
  });

  it('refuses a Redis database the server does not have at once, however long it may wait', async () => {
    const { file, config } = configWithEs(
      `http://127.0.0.1:${stack.esPort}`,
      `${redisUrl(0).replace(/\/\d*$/, '')}/9999`,
    );
    process.env.DISTRIBUTARY_PREFLIGHT_WAIT_MS = '600000';
    try {
      await expect(preflight(file, config, ['worker'])).rejects.toThrow(/log\.redis.*DB index is out of range/s);
    } finally {
      delete process.env.DISTRIBUTARY_PREFLIGHT_WAIT_MS;
    }
  });
});
