/**
 * Process start → ready for each role, compiled (dist/) against TypeScript through tsx: spawns
 * `distributary run --only <role>` (`all`: `run` with every role, a process each) on the example shop
 * config (the shop database must be loaded: `npx tsx examples/shop/load.ts`) and times the line
 * `running; …`, printed once the role is up (every role, for `all`).
 * Each run gets its own slot, log namespace, index and ports; they are removed afterwards.
 * Usage: npx tsx scripts/build/startup-times.ts [runs=3] [roles=connector,worker,admin; or all]   (`npm run build` first)
 * The worker role needs the example's view table and cache keys free: stop `npm start` (or leave it out).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

const root = resolve(__dirname, '..', '..');
const config = join(root, 'examples', 'shop', 'distributary.yaml');
const shopUrl = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:15432/shop';
const roles = ['connector', 'worker', 'admin'] as const;
const choices: readonly string[] = [...roles, 'all'];
const modes = {
  compiled: [join(root, 'dist', 'apps', 'cli', 'src', 'main.js')],
  tsx: ['--import', 'tsx', join(root, 'apps', 'cli', 'src', 'main.ts')],
};

function timeToReady(mode: keyof typeof modes, role: string, run: number): Promise<number> {
  const id = `startup_${role}_${mode}_${run}_${process.pid}`;
  const started = process.hrtime.bigint();
  const only = role === 'all' ? [] : ['--only', role];
  const child = spawn(process.execPath, [...modes[mode], 'run', ...only, '--config', config], {
    cwd: root,
    env: {
      ...process.env,
      SHOP_SLOT: id,
      SHOP_NAMESPACE: id,
      SHOP_INDEX: id.replace(/_/g, '-'),
      ADMIN_PORT: String(18_100 + run),
      DISTRIBUTARY_METRICS_PORT: String(18_200 + run),
      GATEWAY_PORT: String(18_300 + run),
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let output = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${role} (${mode}) not ready in 120 s:\n${output}`));
    }, 120_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (ready || !output.includes('running; ')) return;
      ready = true;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      clearTimeout(timer);
      child.once('exit', () => resolvePromise(ms));
      child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
  });
}

async function cleanUp(): Promise<void> {
  const pg = new Client({ connectionString: shopUrl });
  await pg.connect();
  try {
    const slots = await pg.query<{ slot_name: string }>(
      `SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'startup\\_%' AND NOT active`,
    );
    for (const { slot_name } of slots.rows) await pg.query('SELECT pg_drop_replication_slot($1)', [slot_name]);
    const pubs = await pg.query<{ pubname: string }>(
      `SELECT pubname FROM pg_publication WHERE pubname LIKE 'startup\\_%'`,
    );
    for (const { pubname } of pubs.rows) await pg.query(`DROP PUBLICATION "${pubname.replace(/"/g, '""')}"`);
  } finally {
    await pg.end();
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  if (!existsSync(modes.compiled[0])) throw new Error('no build: run `npm run build` first');
  const runs = Number(process.argv[2] ?? 3);
  const selected = (process.argv[3]?.split(',') ?? [...roles]).filter((role) => choices.includes(role));
  const rows: string[] = [];
  for (const role of selected) {
    const figures: Record<string, number[]> = { compiled: [], tsx: [] };
    for (let run = 0; run < runs; run += 1) {
      for (const mode of ['compiled', 'tsx'] as const) figures[mode].push(await timeToReady(mode, role, run));
    }
    rows.push(`| ${role} | ${median(figures.compiled).toFixed(0)} ms | ${median(figures.tsx).toFixed(0)} ms |`);
  }
  await cleanUp();
  process.stdout.write(`| role | compiled (dist/) | tsx |\n|---|---|---|\n${rows.join('\n')}\n`);
}

void main().catch(async (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  await cleanUp().catch(() => undefined);
  process.exitCode = 1;
});
