import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyToken } from '@distributary/gateway';
import { runInProcess } from '../test-support/in-process';

const dir = mkdtempSync(join(tmpdir(), 'distributary-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'cli-token-test-secret-0123456789abcdef';
const FILE = join(dir, 'gateway.yaml');
writeFileSync(
  FILE,
  [
    'source:',
    '  postgres: { url: "postgres://app@127.0.0.1:15432/shop" }',
    '  tables: [public.items]',
    'log:',
    '  redis: { url: "redis://127.0.0.1:16379" }',
    'gateway:',
    `  keys: [{ kid: old, secret: "${'o'.repeat(32)}" }, { kid: k1, secret: "${SECRET}" }]`,
    'subscriptions:',
    '  - { name: by-category, table: public.items, filter: "category_id = :category", params: [category] }',
    '',
  ].join('\n'),
);

describe('distributary token issue', () => {
  it('prints a token the gateway accepts for exactly that subscription and parameters', async () => {
    const result = await runInProcess([
      'token',
      'issue',
      'by-category',
      '--param',
      'category=3',
      '--ttl',
      '15m',
      '--kid',
      'k1',
      '-c',
      FILE,
    ]);
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    const verified = await verifyToken(token, [{ kid: 'k1', secret: SECRET }], {
      subscription: 'by-category',
      params: { category: '3' },
    });
    expect(verified.exp - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(900);
  });

  it('refuses unknown subscriptions, parameters, keys and bad durations', async () => {
    for (const args of [
      ['nope', '--param', 'category=3'],
      ['by-category', '--param', 'other=3'],
      ['by-category'],
      ['by-category', '--param', 'category=3', '--kid', 'missing'],
      ['by-category', '--param', 'category=3', '--ttl', '2d'],
    ]) {
      const result = await runInProcess(['token', 'issue', ...args, '-c', FILE]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).not.toBe('');
    }
  });
});
