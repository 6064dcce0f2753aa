import type { LogKeys, RedisClient } from '@distributary/changelog';
import { redactSecrets } from '@distributary/observability';
import type { SnapshotJob } from '@distributary/admin-contract';

/**
 * Snapshot jobs as the snapshot code records them in the log Redis (keys.initialSnapshot(),
 * keys.snapshots() + keys.snapshot(id)), read tolerantly: known progress fields are lifted out, the
 * rest is shown as stored. An empty answer means no snapshot was ever recorded.
 */
function firstNumber(hash: Record<string, string>, names: string[]): number | null {
  for (const name of names) {
    const value = Number(hash[name]);
    if (hash[name] !== undefined && Number.isFinite(value)) return value;
  }
  return null;
}

function parseValue(value: string): unknown {
  if (!/^[[{]/.test(value.trim())) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

export function toSnapshotJob(id: string, kind: SnapshotJob['kind'], hash: Record<string, string>): SnapshotJob {
  const fields = Object.fromEntries(Object.entries(hash).map(([k, v]) => [k, parseValue(v)]));
  const rowsDone = firstNumber(hash, ['rowsDone', 'rows', 'done', 'rowsRead']);
  const rowsTotal = firstNumber(hash, ['rowsTotal', 'estimatedTotal', 'total', 'estimatedRows', 'totalRows']);
  const explicit = firstNumber(hash, ['progress']);
  const progress =
    explicit !== null
      ? Math.min(1, Math.max(0, explicit > 1 ? explicit / 100 : explicit))
      : rowsDone !== null && rowsTotal
        ? Math.min(1, rowsDone / rowsTotal)
        : hash.status === 'done' || hash.status === 'completed'
          ? 1
          : null;
  const tables = parseValue(hash.tables ?? (hash.table ? JSON.stringify([hash.table]) : '[]'));
  return {
    id,
    kind,
    status: hash.status ?? null,
    progress,
    rowsDone,
    rowsTotal,
    tables: Array.isArray(tables) ? tables.map(String) : typeof tables === 'string' ? tables.split(',') : [],
    createdAt: hash.createdAt ?? hash.startedAt ?? null,
    fields: redactSecrets(fields),
  };
}

export async function readSnapshots(redis: RedisClient, keys: LogKeys): Promise<SnapshotJob[]> {
  const [initial, ids] = await Promise.all([
    redis.hgetall(keys.initialSnapshot()),
    redis.zrevrange(keys.snapshots(), 0, 99),
  ]);
  const jobs: SnapshotJob[] = [];
  if (Object.keys(initial).length) jobs.push(toSnapshotJob('initial', 'initial', initial));
  const hashes = await Promise.all(ids.map((id) => redis.hgetall(keys.snapshot(id))));
  ids.forEach((id, i) => {
    if (Object.keys(hashes[i]).length) jobs.push(toSnapshotJob(id, 'incremental', hashes[i]));
  });
  return jobs;
}
