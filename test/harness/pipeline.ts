/**
 * One isolated pipeline for a benchmark or chaos run: its own config file, log namespace, slot,
 * publication, index and cache prefix (all derived from one unique name), the connector and worker
 * child processes, drain detection, and removal of everything it created.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { stringify } from 'yaml';
import { parseLsn, type Lsn } from '@distributary/core';
import { ChangeLog, connectRedis, LogKeys, type RedisClient } from '@distributary/changelog';
import { waitForSink } from '@distributary/verify';
import { deleteNamespace, waitFor } from '@distributary/testkit';
import { RoleProcess, repoRoot, type RoleName } from './role-process';
import { roleNodeFlags } from '../../apps/cli/src/supervisor/node-flags';

export interface PipelineSpec {
  /** Unique lower-case name: namespace, slot, publication and prefixes derive from it. */
  name: string;
  sourceUrl: string;
  tables: string[];
  logRedisUrl: string;
  /** Put the change log on this Redis Cluster (node URLs) instead of logRedisUrl. */
  logCluster?: string[];
  partitions: number;
  snapshot?: 'initial' | 'never';
  /** Sinks as in the YAML file (name, kind block, from, …). */
  sinks: Record<string, unknown>[];
  batchSize?: number;
  /** Directory for each child process's output (<label>.log); none when absent. */
  logDir?: string;
}

export class Pipeline {
  readonly configFile: string;
  readonly keys: LogKeys;
  readonly redis: RedisClient;
  readonly log: ChangeLog;
  readonly processes: RoleProcess[] = [];
  private generation = 0;
  private readonly variants: string[] = [];

  constructor(readonly spec: PipelineSpec) {
    const dir = join(repoRoot, '.local', 'harness');
    mkdirSync(dir, { recursive: true });
    this.configFile = join(dir, `${spec.name}.yaml`);
    this.keys = new LogKeys(spec.name);
    this.redis = connectRedis(this.logTarget);
    this.redis.on('error', () => undefined); // the chaos run restarts the log Redis; commands retry
    this.log = new ChangeLog(this.redis, this.keys, spec.partitions);
    writeFileSync(this.configFile, stringify(this.config()));
  }

  config(): Record<string, unknown> {
    const { spec } = this;
    return {
      source: {
        postgres: {
          url: spec.sourceUrl,
          slot: this.slotName,
          publication: spec.name.replace(/-/g, '_'),
          snapshot: spec.snapshot ?? 'never',
          heartbeat: '1s',
        },
        tables: spec.tables,
        connector: { batchSize: spec.batchSize ?? 1000 },
      },
      log: { redis: this.logTarget, namespace: spec.name, partitions: spec.partitions },
      sinks: spec.sinks,
    };
  }

  get logTarget(): { url: string } | { cluster: string[] } {
    return this.spec.logCluster ? { cluster: this.spec.logCluster } : { url: this.spec.logRedisUrl };
  }

  /** Writes another config file of the same pipeline (same log, slot) with other sinks. */
  variant(suffix: string, sinks: Record<string, unknown>[]): string {
    const file = this.configFile.replace(/\.yaml$/, `.${suffix}.yaml`);
    writeFileSync(file, stringify({ ...this.config(), sinks }));
    this.variants.push(file);
    return file;
  }

  start(
    role: RoleName,
    options: { configFile?: string; env?: Record<string, string>; entryArgs?: string[] } = {},
  ): RoleProcess {
    const label = `${role}#${this.generation++}`;
    const process = new RoleProcess(
      role,
      options.configFile ?? this.configFile,
      label,
      options.env ?? {},
      this.spec.logDir ? join(this.spec.logDir, `${label.replace('#', '-')}.log`) : undefined,
      roleNodeFlags(role, (globalThis.process.env.NODE_OPTIONS ?? '').split(/\s+/)), // as the product launches it
      options.entryArgs,
    );
    this.processes.push(process);
    return process;
  }

  live(role?: RoleName): RoleProcess[] {
    return this.processes.filter((p) => p.alive && (!role || p.role === role));
  }

  get slotName(): string {
    return this.spec.name.replace(/-/g, '_');
  }

  /**
   * Waits until the connector created the slot (and publication): changes committed before that
   * are not in the slot's stream (with snapshot: never they are never captured).
   */
  async waitForSlot(connector: RoleProcess, timeoutMs = 120_000): Promise<void> {
    await waitFor(
      `slot ${this.slotName}`,
      async () => {
        connector.assertAlive();
        const client = new Client({ connectionString: this.spec.sourceUrl });
        await client.connect();
        try {
          const { rowCount } = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
            this.slotName,
          ]);
          return rowCount === 1;
        } finally {
          await client.end();
        }
      },
      { timeoutMs },
    );
  }

  /** Current WAL insert position of the source: everything committed so far lies below it. */
  async sourceLsn(): Promise<Lsn> {
    const client = new Client({ connectionString: this.spec.sourceUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      return parseLsn(rows[0].lsn);
    } finally {
      await client.end();
    }
  }

  /** Waits until the connector confirmed `lsn` (every change committed before it is in the log). */
  async waitForLog(lsn: Lsn, timeoutMs = 600_000): Promise<void> {
    await waitFor(
      `the connector to confirm ${lsn}`,
      async () => {
        const state = await this.log.connector.read();
        return state.confirmedLsn !== undefined && parseLsn(state.confirmedLsn) >= lsn;
      },
      { timeoutMs, intervalMs: 50 },
    );
  }

  /** Waits until every named sink applied everything below `lsn`. */
  async waitForSinks(lsn: Lsn, sinks: string[], timeoutMs = 600_000): Promise<void> {
    for (const sink of sinks) {
      const progress = await waitForSink(this.redis, this.keys, sink, this.spec.partitions, lsn, {
        timeoutMs,
        intervalMs: 50,
      });
      if (progress.timedOut) throw new Error(`sink ${sink} did not reach ${lsn}: ${JSON.stringify(progress)}`);
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
  }

  /** Stops the processes and deletes the log namespace, the config file and the cache/index data. */
  async destroy(extra: { esUrl?: string; esIndex?: string; cacheRedisUrl?: string } = {}): Promise<void> {
    await this.stopAll();
    if (this.spec.logCluster) await deleteNamespace(this.redis, this.spec.name);
    else await deleteKeys(this.redis, `{${this.spec.name}:*`);
    this.redis.disconnect();
    if (extra.cacheRedisUrl) {
      const cache = connectRedis({ url: extra.cacheRedisUrl });
      await deleteKeys(cache, `*${this.spec.name}*`);
      cache.disconnect();
    }
    if (extra.esUrl && extra.esIndex) await deleteIndices(extra.esUrl, extra.esIndex);
    for (const file of [this.configFile, ...this.variants]) rmSync(file, { force: true });
  }
}

export async function deleteKeys(redis: RedisClient, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (found.length) await redis.del(...found);
  } while (cursor !== '0');
}

/** Deletes the indices behind an alias (`<alias>_v*`, the alias goes with them); nothing else. */
export async function deleteIndices(esUrl: string, alias: string): Promise<void> {
  await fetch(`${esUrl}/${alias}_v*?ignore_unavailable=true&expand_wildcards=all`, { method: 'DELETE' }).catch(
    () => undefined,
  );
}
