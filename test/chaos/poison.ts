/**
 * One poison row per sink kind, for `npm run chaos -- --full`:
 * - Elasticsearch: an account whose `name` (mapped explicitly as keyword) is a 40 kB term, which the
 *   mapping rejects (immense term) → dead letter;
 * - Redis cache: a hash planted on the value's version key (companionKey(): `{<prefix><id>}\0\0ver`) → WRONGTYPE;
 * - view: an order whose `status` (a GROUP BY column of orders-by-status) is 40 kB → index row too big.
 * fix() makes them good the way a user would (the row is made valid at the source, the planted key is
 * deleted) and runs the real `distributary dlq replay <sink>` (re-sync of the dead-lettered keys).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { connectRedis } from '@distributary/changelog';
import { VALUE_VERSION_SUFFIX, companionKey } from '@distributary/sink-redis-cache';
import { waitFor } from '@distributary/testkit';
import type { Pipeline } from '../harness/pipeline';
import { repoRoot } from '../harness/role-process';
import type { Random } from './random';

const run = promisify(execFile);

/** Out of the workload's id range, and of the large transaction's `id % 10` updates. */
export const POISON_ID = 2_000_000_000;
/** The view sink whose GROUP BY column takes the poison (added to the run when poison is on). */
export const STATUS_VIEW_SQL =
  'SELECT status, count(*) AS orders, sum(amount) AS total FROM public.orders GROUP BY status';
/** The explicit mapping the Elasticsearch sink gets when poison is on. */
export const ACCOUNTS_MAPPING = { properties: { name: { type: 'keyword' } } };

export interface PoisonTarget {
  pipeline: Pipeline;
  cachePrefix: string;
}

async function sql(url: string, text: string, params: unknown[] = []): Promise<void> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined); // a PostgreSQL crash-restart meanwhile: the query in flight fails
  await client.connect();
  try {
    await client.query(text, params);
  } finally {
    await client.end();
  }
}

/** The same, retried a few times (the source may be crash-restarting at that moment). */
async function sqlRetrying(url: string, text: string, params: unknown[] = []): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sql(url, text, params);
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
}

function versionKey(prefix: string): string {
  return companionKey(`${prefix}${POISON_ID}`, VALUE_VERSION_SUFFIX);
}

export async function plantPoison(
  sourceUrl: string,
  cacheRedisUrl: string,
  targets: PoisonTarget[],
  random: Random,
): Promise<void> {
  const cache = connectRedis({ url: cacheRedisUrl });
  try {
    for (const target of targets) await cache.hset(versionKey(target.cachePrefix), 'planted', 'not a string');
  } finally {
    cache.disconnect();
  }
  await sqlRetrying(sourceUrl, 'INSERT INTO public.accounts (id, name, balance, bio) VALUES ($1, $2, 0, NULL)', [
    POISON_ID,
    random.incompressible(40_000),
  ]);
  await sqlRetrying(sourceUrl, 'INSERT INTO public.notes VALUES ($1, 1, $2)', [
    POISON_ID,
    'a note whose cache key is taken',
  ]);
  await sqlRetrying(sourceUrl, 'INSERT INTO public.orders VALUES ($1, 1, 7, $2)', [
    POISON_ID,
    random.incompressible(40_000),
  ]);
}

async function deadLetters(pipeline: Pipeline, sink: string): Promise<number> {
  return pipeline.redis.xlen(pipeline.keys.deadLetters(sink));
}

/** `distributary dlq replay <sink>` as a user runs it; returns how many dead letters it re-synced. */
async function dlqReplay(pipeline: Pipeline, sink: string, log: (line: string) => void, attempts = 4): Promise<number> {
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const { stdout } = await run(
        process.execPath,
        [
          '--import',
          'tsx',
          resolve(repoRoot, 'test/harness/run-role.ts'),
          'dlq',
          'replay',
          sink,
          '--config',
          pipeline.configFile,
          '--pickup-timeout',
          '90000',
        ],
        { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'warn' }, timeout: 180_000 },
      );
      const match = /re-synced (\d+) dead letter/.exec(stdout);
      log(`  ${pipeline.spec.name} dlq replay ${sink}: ${stdout.trim()}`);
      return match ? Number(match[1]) : 0;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
      log(`  ${pipeline.spec.name} dlq replay ${sink} attempt ${attempt} failed: ${last.slice(0, 400)}`);
    }
  }
  throw new Error(`dlq replay ${sink} of ${pipeline.spec.name}: ${last.slice(0, 400)}`);
}

/** The sinks a poison row is aimed at (orders-by-account takes the poison order without harm). */
export const POISONED_SINKS = ['accounts-search', 'notes-cache', 'orders-by-status'];

export interface PoisonOutcome {
  /** Per pipeline and sink: whether the poison row reached that sink's dead-letter queue. */
  deadLettered: Record<string, boolean>;
  replayed: number;
}

/** Waits for every poison row in its sink's DLQ, fixes the causes, and replays every DLQ. */
export async function fixAndReplay(
  sourceUrl: string,
  cacheRedisUrl: string,
  targets: PoisonTarget[],
  sinks: string[],
  log: (line: string) => void,
  waitMs = 240_000,
): Promise<PoisonOutcome> {
  const deadLettered: Record<string, boolean> = {};
  const deadline = Date.now() + waitMs; // one bound for all of them
  for (const { pipeline } of targets)
    for (const sink of POISONED_SINKS) {
      const label = `${pipeline.spec.name}/${sink}`;
      try {
        await waitFor(`the poison row in ${label}'s DLQ`, async () => (await deadLetters(pipeline, sink)) > 0, {
          timeoutMs: Math.max(1000, deadline - Date.now()),
        });
        deadLettered[label] = true;
      } catch {
        deadLettered[label] = false;
        log(`  poison: nothing reached the DLQ of ${label}`);
      }
    }
  const cache = connectRedis({ url: cacheRedisUrl });
  try {
    for (const target of targets) await cache.del(versionKey(target.cachePrefix));
  } finally {
    cache.disconnect();
  }
  await sqlRetrying(sourceUrl, `UPDATE public.accounts SET name = 'fixed at the source' WHERE id = $1`, [POISON_ID]);
  await sqlRetrying(sourceUrl, `UPDATE public.orders SET status = 'fixed' WHERE id = $1`, [POISON_ID]);
  let replayed = 0;
  for (const { pipeline } of targets)
    for (const sink of sinks)
      if ((await deadLetters(pipeline, sink)) > 0)
        try {
          replayed += await dlqReplay(pipeline, sink, log, 1);
        } catch {
          // The replay's snapshot waits behind a re-sync in progress (the planned slot loss re-reads
          // the large transaction's rows) or for a stream still behind that transaction: a user runs
          // `dlq replay` again later; so does the run, after the drain (replayLeftovers). One try
          // here: each costs up to 2 minutes per sink while the fault phase waits for it.
          log(`  ${pipeline.spec.name}/${sink}: dlq replay not picked up yet; again after the drain`);
        }
  return { deadLettered, replayed };
}

/**
 * After the drain: a dead letter can still arrive after the replay, from an event read before the fix
 * (a re-sync snapshot of the poison row in flight), or the replay was not picked up while a re-sync
 * ran. A user runs `dlq replay` again; so does the run.
 */
export async function replayLeftovers(
  targets: PoisonTarget[],
  sinks: string[],
  log: (line: string) => void,
): Promise<number> {
  let replayed = 0;
  for (const { pipeline } of targets)
    for (const sink of sinks) {
      const left = await deadLetters(pipeline, sink);
      if (left === 0) continue;
      log(`  ${pipeline.spec.name}/${sink}: ${left} dead letter(s) left after the replay; replaying again`);
      replayed += await dlqReplay(pipeline, sink, log);
    }
  return replayed;
}
