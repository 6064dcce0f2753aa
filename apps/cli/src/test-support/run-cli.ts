import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '../../../..');
const main = resolve(repoRoot, 'apps/cli/src/main.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `distributary <args>` as a child process, exactly as a user would (node --import tsx), or
 * through the package's `bin` launcher. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  via: 'node' | 'bin' = 'node',
): Promise<CliResult> {
  const bin = resolve(repoRoot, 'apps/cli/bin/distributary.js');
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      via === 'bin' ? [bin, ...args] : ['--import', 'tsx', main, ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, DISTRIBUTARY_CONFIG: '', DISTRIBUTARY_ADMIN_TOKENS: '', ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}
