import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { Client } from 'pg';
import { connectRedis } from '@distributary/changelog';

/** What a figure was measured on: printed beside every result. */
export interface MachineSetup {
  node: string;
  postgres: string;
  redis: string;
  elasticsearch: string;
  cores: number;
  cpuModel: string;
  ramGiB: number;
  loadAverage: string;
}

export async function describeMachine(urls: { pg: string; redis: string; es: string }): Promise<MachineSetup> {
  const pg = new Client({ connectionString: urls.pg });
  await pg.connect();
  const postgres = (await pg.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
  await pg.end();
  const redis = connectRedis({ url: urls.redis });
  const info = await redis.info('server');
  redis.disconnect();
  const es = (await (await fetch(`${urls.es}/_nodes/_local/os,jvm`)).json()) as {
    nodes: Record<string, { version: string }>;
  };
  return {
    node: process.version,
    postgres,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    elasticsearch: Object.values(es.nodes)[0]?.version ?? 'unknown',
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' '),
  };
}

export function describeSetup(machine: MachineSetup): string {
  return (
    `Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}, Elasticsearch ${machine.elasticsearch}; ` +
    `${machine.cores} cores (${machine.cpuModel}), ${machine.ramGiB} GiB RAM, load ${machine.loadAverage}`
  );
}
