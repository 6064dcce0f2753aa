/**
 * PGSync (https://pypi.org/project/pgsync/), installed from PyPI into .local/peers/pgsync-venv and run
 * as child processes against the local stack: its settings come from the environment (PG_*, REDIS_*,
 * ELASTICSEARCH_*), its checkpoint file goes to a directory of the run.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const PGSYNC_VERSION = '7.3.0';
const VENV = resolve(__dirname, '../../../.local/peers/pgsync-venv');

/** Creates the venv and installs pgsync==PGSYNC_VERSION once; returns its bin directory. */
export async function installPgsync(): Promise<string> {
  const bin = join(VENV, 'bin');
  const installed = existsSync(join(bin, 'pgsync'))
    ? await run(join(bin, 'pip'), ['show', 'pgsync']).then(
        (r) => r.stdout.includes(`Version: ${PGSYNC_VERSION}`),
        () => false,
      )
    : false;
  if (!installed) {
    await run('python3', ['-m', 'venv', VENV], { timeout: 120_000 });
    await run(join(bin, 'pip'), ['install', '-q', `pgsync==${PGSYNC_VERSION}`], { timeout: 900_000 });
  }
  return bin;
}

export interface PgsyncTargets {
  pgUrl: string;
  redisUrl: string;
  esUrl: string;
  /** Directory of this run: checkpoint file and schema. */
  dir: string;
}

/** PGSync's settings for the local stack (it reads them from the environment). */
export function pgsyncEnv(targets: PgsyncTargets): NodeJS.ProcessEnv {
  const pg = new URL(targets.pgUrl);
  const redis = new URL(targets.redisUrl);
  const es = new URL(targets.esUrl);
  return {
    ...process.env,
    PG_HOST: pg.hostname,
    PG_PORT: pg.port || '5432',
    PG_USER: decodeURIComponent(pg.username || 'postgres'),
    PG_PASSWORD: decodeURIComponent(pg.password),
    REDIS_HOST: redis.hostname,
    REDIS_PORT: redis.port || '6379',
    REDIS_DB: redis.pathname.replace('/', '') || '0',
    ELASTICSEARCH: 'true',
    ELASTICSEARCH_SCHEME: es.protocol.replace(':', ''),
    ELASTICSEARCH_HOST: es.hostname,
    ELASTICSEARCH_PORT: es.port || '9200',
    CHECKPOINT_PATH: targets.dir,
    LOG_LEVEL: 'WARNING',
  };
}

/** Runs a PGSync command to its end; throws with its output when it fails. */
export async function runPgsync(bin: string, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout, stderr } = await run(join(bin, command), args, { env, timeout: 1_800_000, maxBuffer: 64 << 20 });
    return `${stdout}${stderr}`;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`.slice(
        0,
        4000,
      ),
    );
  }
}

/** Starts `pgsync --daemon` (streaming); the caller stops it with stopDaemon. */
export function startDaemon(
  bin: string,
  schema: string,
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; output: () => string } {
  const child = spawn(join(bin, 'pgsync'), ['--config', schema, '--daemon'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => output };
}

export async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
