import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, LogKeys } from '@distributary/changelog';
import {
  createTestDatabase,
  deleteNamespace,
  freePort,
  redisUrl,
  type TestDatabase,
  uniqueName,
  waitFor,
} from '@distributary/testkit';
import { cacheConfigYaml } from '../test-support/cache-config';
import { runCli } from '../test-support/run-cli';
import { spawnCli, type SpawnedCli } from '../test-support/spawn-cli';
import type { ProcessStatus } from './process-status';

const dir = mkdtempSync(join(tmpdir(), 'distributary-run-processes-'));
const namespace = uniqueName('cli_procs');
const redis = connectRedis({ url: redisUrl(0) });
let source: TestDatabase;
let file = '';
let port = 0;

/** Running, and not a zombie waiting for a parent to reap it (an orphan's new parent may never). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function parentOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith('PPid:')) ?? '';
  return Number(line.slice('PPid:'.length).trim());
}

beforeAll(async () => {
  source = await createTestDatabase('procs');
  await source.sql('CREATE TABLE public.items (id int PRIMARY KEY, name text)');
  port = await freePort();
  file = join(dir, 'run.yaml');
  writeFileSync(
    file,
    cacheConfigYaml({
      postgres: `url: "${source.url}", slot: ${namespace}, publication: ${namespace}`,
      redis: redisUrl(0),
      namespace,
      admin: { port, token: 'run-processes-operator-token' },
    }),
  );
}, 60_000);

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  redis.disconnect();
  await source?.drop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** Starts `run` with every role and waits until all are up; returns the pid of each role's process. */
async function startedRun(via: 'main' | 'launcher' = 'main'): Promise<SpawnedCli & { pids: Record<string, number> }> {
  const { child, output, exited } = spawnCli(['run', '--config', file], via);
  await waitFor(
    'every role up',
    async () => {
      if (child.exitCode !== null) throw new Error(`run exited early (${child.exitCode}): ${output().stderr}`);
      return output().stdout.includes('running; ');
    },
    { timeoutMs: 120_000 },
  );
  const pids: Record<string, number> = {};
  for (const part of (/roles: (.*)\n/.exec(output().stdout)?.[1] ?? '').split(', ')) {
    const [name, pid] = part.split(' (pid ');
    pids[name] = Number.parseInt(pid, 10);
  }
  return { child, output, pids, exited };
}

function cleanUp(child: ChildProcess, pids: Record<string, number>): void {
  if (child.exitCode === null) child.kill('SIGKILL');
  for (const pid of Object.values(pids)) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
}

describe('distributary run: a process per role', () => {
  it('runs each role in its own child process, exposes all of them, and stops them all on SIGTERM (exit 0)', async () => {
    const { child, pids, exited } = await startedRun();
    try {
      expect(Object.keys(pids)).toEqual(['connector', 'worker', 'admin']);
      for (const pid of Object.values(pids)) {
        expect(isRunning(pid)).toBe(true);
        expect(parentOf(pid)).toBe(child.pid);
      }

      // The admin API's /metrics covers every role's process, each series labelled with its role.
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const role of ['connector', 'worker', 'admin', 'run'])
        expect(metrics).toContain(`distributary_process_process_resident_memory_bytes{role="${role}"}`);
      // Its readiness includes the checks the worker's process registered.
      await waitFor('the worker check in the admin readiness', async () => {
        const report = (await (await fetch(`http://127.0.0.1:${port}/health/ready`)).json()) as {
          checks?: Record<string, unknown>;
        };
        return Object.keys(report.checks ?? {}).some((name) => name.startsWith('sink-worker:'));
      });

      // status shows each role's process with its memory.
      const processes = await waitFor('three processes in status', async () => {
        const status = await runCli(['status', '--json', '--config', file]);
        expect(status.code).toBe(0);
        const listed = (JSON.parse(status.stdout) as { processes: ProcessStatus[] }).processes;
        return listed.length === 3 ? listed : undefined;
      });
      for (const [role, pid] of Object.entries(pids)) {
        const listed = processes.find((p) => p.pid === pid);
        expect(listed?.role).toBe(role);
        expect(listed?.supervisorPid).toBe(child.pid);
        expect(listed?.rssBytes).toBeGreaterThan(0);
        expect(listed?.heapUsedBytes).toBeGreaterThan(0);
      }
      const table = await runCli(['status', '--config', file]);
      expect(table.stdout).toContain('heap used');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const pid of Object.values(pids)) expect(isRunning(pid)).toBe(false);
    } finally {
      cleanUp(child, pids);
    }
  }, 240_000);

  it('capture goes on while the worker process is frozen; a role process that dies stops the others (exit 1, naming it)', async () => {
    const { child, output, pids, exited } = await startedRun();
    try {
      // No shared event loop: with the worker's process stopped dead, the connector still appends to the log.
      process.kill(pids.worker, 'SIGSTOP');
      await source.sql(`INSERT INTO public.items SELECT g, 'while the worker is frozen' FROM generate_series(1, 20) g`);
      const keys = new LogKeys(namespace);
      await waitFor('the connector to capture while the worker process is frozen', async () => {
        const lengths = await Promise.all([0, 1].map((n) => redis.xlen(keys.partition(n))));
        return lengths.reduce((sum, length) => sum + length, 0) >= 20;
      });
      process.kill(pids.worker, 'SIGKILL');
      expect(await exited).toBe(1);
      expect(output().stderr).toContain(
        'the worker role stopped: its process was killed by SIGKILL (stopped: connector, admin)',
      );
      for (const pid of Object.values(pids)) expect(isRunning(pid)).toBe(false);
    } finally {
      cleanUp(child, pids);
    }
  }, 240_000);

  it('leaves no role process behind when run itself is killed with -9', async () => {
    const { child, pids } = await startedRun();
    try {
      child.kill('SIGKILL');
      await waitFor('every role process to stop after its supervisor was killed', async () =>
        Object.values(pids).every((pid) => !isRunning(pid)),
      );
    } finally {
      cleanUp(child, pids);
    }
  }, 240_000);

  it('stops run and every role process when the distributary launcher is killed with -9', async () => {
    const { child, pids } = await startedRun('launcher');
    const supervisor = parentOf(pids.connector);
    expect(parentOf(supervisor)).toBe(child.pid); // launcher → run → roles
    try {
      child.kill('SIGKILL');
      await waitFor('run and its role processes to stop after the launcher was killed', async () =>
        [supervisor, ...Object.values(pids)].every((pid) => !isRunning(pid)),
      );
    } finally {
      cleanUp(child, { ...pids, supervisor });
    }
  }, 240_000);
});
