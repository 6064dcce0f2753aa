import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { repoRoot } from './run-cli';

export interface SpawnedCli {
  child: ChildProcess;
  /** What it wrote so far. */
  output(): { stdout: string; stderr: string };
  /** Its exit code once it exited. */
  exited: Promise<number | null>;
}

/**
 * `distributary <args>` as a child process that keeps running (`run`), started directly
 * (node --import tsx) or through the `distributary` launcher (bin/distributary.js) as a user does.
 */
export function spawnCli(args: string[], via: 'main' | 'launcher' = 'main'): SpawnedCli {
  const entry =
    via === 'main'
      ? ['--import', 'tsx', resolve(repoRoot, 'apps/cli/src/main.ts')]
      : [resolve(repoRoot, 'apps/cli/bin/distributary.js')];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: repoRoot,
    env: { ...process.env, DISTRIBUTARY_ADMIN_TOKENS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return { child, output: () => ({ stdout, stderr }), exited };
}
