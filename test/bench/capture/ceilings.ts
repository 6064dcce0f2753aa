/**
 * The two ceilings figure 1 is compared with, measured in the same run:
 * - a raw loader XADDing the very entries the connector wrote (same IDs, fields, bytes) into fresh
 *   streams with plain pipelines (1,000 XADDs each, 4 in flight; per stream on a cluster) — Redis's
 *   own ceiling for these entries under its fsync policy;
 * - `pg_recvlogical` draining an identical slot (pgoutput, same publication) to /dev/null — the
 *   source's ceiling.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { Cluster } from 'ioredis';
import type { RedisClient } from '@distributary/changelog';

const PIPELINE = 1000;
const IN_FLIGHT = 4;

type Entry = [string, string[]];

/** Reads every entry of the streams (paged XRANGE). */
export async function readEntries(redis: RedisClient, streams: string[]): Promise<Map<string, Entry[]>> {
  const all = new Map<string, Entry[]>();
  for (const stream of streams) {
    const entries: Entry[] = [];
    let from = '-';
    for (;;) {
      const page = (await redis.xrange(stream, from, '+', 'COUNT', 10_000)) as Entry[];
      entries.push(...page);
      if (page.length < 10_000) break;
      from = `(${page[page.length - 1][0]}`;
    }
    all.set(stream, entries);
  }
  return all;
}

/** XADDs the entries into `target(stream)` streams; events/s. The target streams are deleted after. */
export async function xaddCeiling(
  redis: RedisClient,
  entries: Map<string, Entry[]>,
  target: (stream: string) => string,
): Promise<number> {
  const batches: { stream: string; entries: Entry[] }[] = [];
  let total = 0;
  for (const [stream, list] of entries) {
    total += list.length;
    for (let i = 0; i < list.length; i += PIPELINE) batches.push({ stream, entries: list.slice(i, i + PIPELINE) });
  }
  // Round-robin over streams so every stream (and cluster node) is busy at once.
  batches.sort((a, b) => a.entries[0][0].localeCompare(b.entries[0][0]));
  const started = process.hrtime.bigint();
  const inFlight = new Set<Promise<unknown>>();
  for (const batch of batches) {
    const pipeline = redis.pipeline();
    for (const [id, fields] of batch.entries) pipeline.xadd(target(batch.stream), id, ...fields);
    const sent: Promise<unknown> = pipeline.exec().then((replies) => {
      inFlight.delete(sent);
      for (const [error] of replies ?? []) if (error) throw error;
    });
    inFlight.add(sent);
    if (inFlight.size >= (redis instanceof Cluster ? IN_FLIGHT * 2 : IN_FLIGHT)) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const stream of entries.keys()) await redis.del(target(stream));
  return Math.round(total / seconds);
}

/** The PostgreSQL bin directory (as scripts/env.sh pg_bin_dir finds it: the newest /usr/lib/postgresql/N/bin). */
export function pgBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(`${root}/${v}/bin/postgres`))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? `${root}/${versions[0]}/bin` : undefined;
}

/** Seconds `pg_recvlogical` takes to drain `slot` up to `endLsn` into /dev/null. */
export async function recvlogicalSeconds(
  dbUrl: string,
  slot: string,
  publication: string,
  endLsn: string,
): Promise<number> {
  const bin = pgBinDir();
  if (!bin) throw new Error('pg_recvlogical not found (no /usr/lib/postgresql/<N>/bin)');
  const args = ['-d', dbUrl, '-S', slot, '--start', '--no-loop', '-f', '/dev/null', `--endpos=${endLsn}`];
  args.push('-o', 'proto_version=1', '-o', `publication_names=${publication}`, '-o', 'messages=true');
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) =>
    execFile(`${bin}/pg_recvlogical`, args, { timeout: 600_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`pg_recvlogical: ${error.message} ${stderr}`)) : resolve(),
    ),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}
