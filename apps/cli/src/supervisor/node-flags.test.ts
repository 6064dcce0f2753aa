import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { roleNodeFlags, WORKER_NODE_FLAGS } from './node-flags';
import { roleHostForkOptions } from './fork-options';

const repoRoot = join(__dirname, '..', '..', '..', '..');

describe('role launch flags', () => {
  it('starts workers with a larger young generation, and no other role', () => {
    expect(roleNodeFlags('worker')).toEqual([...WORKER_NODE_FLAGS]);
    expect(WORKER_NODE_FLAGS.some((flag) => flag.startsWith('--max-semi-space-size='))).toBe(true);
    for (const role of ['connector', 'admin', 'gateway'] as const) expect(roleNodeFlags(role)).toEqual([]);
    expect(roleNodeFlags(undefined)).toEqual([]);
  });

  it('leaves a flag the launching process or NODE_OPTIONS already set to it', () => {
    expect(roleNodeFlags('worker', ['--max-semi-space-size=8'])).toEqual([]);
    expect(roleNodeFlags('worker', ['--max_semi_space_size=8'])).toEqual([]);
    expect(roleNodeFlags('worker', ['--max-old-space-size=512'])).toEqual([...WORKER_NODE_FLAGS]);
  });

  it('puts them on the forked worker role process only', () => {
    expect(roleHostForkOptions('worker').execArgv).toEqual(expect.arrayContaining([...WORKER_NODE_FLAGS]));
    expect(roleHostForkOptions('connector').execArgv).not.toEqual(expect.arrayContaining([...WORKER_NODE_FLAGS]));
  });
});

describe('the Helm chart', () => {
  it('gives the worker pods the same flags (worker.nodeOptions)', () => {
    const values = parse(readFileSync(join(repoRoot, 'deploy/helm/distributary/values.yaml'), 'utf8')) as {
      worker: { nodeOptions: string };
    };
    expect(values.worker.nodeOptions).toBe(WORKER_NODE_FLAGS.join(' '));
  });
});
