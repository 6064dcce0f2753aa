import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';

/** The unprivileged user the local stack runs services as when we are root (scripts/env.sh). */
const SERVICE_USER = process.env.DISTRIBUTARY_SERVICE_USER ?? 'distributary';
const isRoot = process.getuid?.() === 0;

/** Runs a command as the service user when root (PostgreSQL refuses to run as root), else as ourselves. */
export function asServiceUser(command: string, args: string[]): { command: string; args: string[] } {
  return isRoot ? { command: 'runuser', args: ['-u', SERVICE_USER, '--', command, ...args] } : { command, args };
}

export function runAsServiceUser(command: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const run = asServiceUser(command, args);
  return new Promise((resolve, reject) =>
    execFile(run.command, run.args, { timeout: timeoutMs }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

/** Gives a directory we created to the service user (when root). */
export function handToServiceUser(dir: string): void {
  if (!isRoot) return;
  const { uid, gid } = serviceIds();
  chownSync(dir, uid, gid);
}

function serviceIds(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', SERVICE_USER]).toString().trim()),
    gid: Number(execFileSync('id', ['-g', SERVICE_USER]).toString().trim()),
  };
}

export function pgBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) if (existsSync(`${base}/${version}/bin/postgres`)) return `${base}/${version}/bin`;
  throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql: run npm run setup');
}
