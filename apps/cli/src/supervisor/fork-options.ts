/**
 * How to start a role's process on the same code as this one: the compiled role-host.js under dist/,
 * or role-host.ts under tsx (the loader this process runs with, or tsx's when this process runs
 * TypeScript some other way, as under vitest).
 */
import type { ForkOptions } from 'node:child_process';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RoleName } from '../roles/role';
import { roleNodeFlags } from './node-flags';

const ext = extname(__filename);
export const roleHostEntry = join(__dirname, `role-host${ext}`);

export function roleHostForkOptions(role?: RoleName): ForkOptions {
  // the role's launch flags (node-flags.ts) unless this process or NODE_OPTIONS already sets them
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const execArgv = [...process.execArgv, ...roleNodeFlags(role, given)];
  const options: ForkOptions = {
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
  };
  if (ext !== '.ts' || process.execArgv.some((arg) => arg.includes('tsx'))) return options;
  const tsx = pathToFileURL(join(require.resolve('tsx/package.json'), '..', 'dist', 'loader.mjs')).href;
  const tsconfig = resolve(__dirname, '..', '..', '..', '..', 'tsconfig.json');
  return {
    ...options,
    execArgv: [...execArgv, '--import', tsx],
    env: { TSX_TSCONFIG_PATH: tsconfig, ...process.env },
  };
}
