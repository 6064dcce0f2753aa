import { readdirSync, readFileSync } from 'node:fs';
import { cpuMicros } from './capture/proc-stats';

/**
 * CPU time of the local stack's servers during a figure, to show where the machine's cores go per
 * document (the bench shares its cores with them): Elasticsearch (the java process running
 * org.elasticsearch), the log Redis (redis-server on the log's port) and every PostgreSQL process.
 * Other users of the same servers are counted too: read these as upper bounds on a shared machine.
 */
export interface ServiceCpu {
  elasticsearch: number;
  redis: number;
  postgres: number;
}

function commandLines(): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      out.push({ pid: Number(name), cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Sums CPU µs so far of the servers' processes (PostgreSQL backends come and go: see `since`). */
export function serviceCpu(redisPort: string): ServiceCpu {
  const sum = (pids: number[]): number => pids.reduce((total, pid) => total + (cpuMicros(pid) ?? 0), 0);
  const processes = commandLines();
  const es = processes.filter((p) => p.cmd.includes('org.elasticsearch.bootstrap')).map((p) => p.pid);
  const redis = processes.filter((p) => p.cmd.startsWith('redis-server') && p.cmd.includes(`:${redisPort}`));
  const postgres = processes.filter((p) => p.cmd.startsWith('postgres') || p.cmd.includes('/bin/postgres'));
  return { elasticsearch: sum(es), redis: sum(redis.map((p) => p.pid)), postgres: sum(postgres.map((p) => p.pid)) };
}

/**
 * µs per document of each server between two readings. PostgreSQL backends that ended between them
 * are missing from the second reading, so its figure is a lower bound (undefined when negative).
 */
export function perDocument(before: ServiceCpu, after: ServiceCpu, docs: number): Record<string, number | undefined> {
  const per = (a: number, b: number): number | undefined => (b >= a ? Math.round((b - a) / docs) : undefined);
  return {
    elasticsearch: per(before.elasticsearch, after.elasticsearch),
    redis: per(before.redis, after.redis),
    postgres: per(before.postgres, after.postgres),
  };
}

/** Figures "<server> CPU per document" (those measured). */
export function serverFigures(
  perDoc: Record<string, number | undefined>,
): { label: string; value: number; unit: string }[] {
  return Object.entries(perDoc)
    .filter((entry): entry is [string, number] => entry[1] !== undefined)
    .map(([server, value]) => ({ label: `${server} CPU per document (shared server)`, value, unit: 'µs/doc' }));
}
