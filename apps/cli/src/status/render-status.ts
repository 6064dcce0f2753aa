/** `distributary status` as readable tables (cli-table3). */
import { table } from '../terminal/table';
import type { PipelineStatus } from './collect-status';
import { slotBanner, slotRows, sourceLagText } from './render-slot';

export function renderStatus(status: PipelineStatus): string {
  const out: string[] = slotBanner(status.source.health, status.resync);
  const { source, connector } = status;
  const source_ = table(['source', '']);
  source_.push(
    ['url', source.url],
    ['slot', source.exists ? source.slot : `${source.slot} (missing${source.error ? `: ${source.error}` : ''})`],
    ['slot active', source.exists ? (source.active ? `yes (pid ${source.activePid})` : 'no') : '-'],
    ['confirmed flush LSN', source.confirmedFlushLsn ?? '-'],
    ['retained WAL', source.retainedWalBytes !== undefined ? bytes(BigInt(source.retainedWalBytes)) : '-'],
    ['connector leader', connector.leader ?? '-'],
    ['connector confirmed LSN', connector.confirmedLsn ?? '-'],
    ['connector heartbeat', connector.lastHeartbeat ?? connector.updatedAt ?? '-'],
    ['connector waiting', connector.waitingFor || '-'],
    ...slotRows(source.health, bytes),
  );
  out.push(source_.toString());

  const partitions = table(['partition', 'entries', 'first id', 'last id', 'memory']);
  for (const p of status.log.partitions) {
    partitions.push([p.partition, p.length, p.firstId ?? '-', p.lastId ?? '-', bytes(BigInt(p.memoryBytes))]);
  }
  out.push(`log (namespace ${status.log.namespace})\n${partitions.toString()}`);

  const sinks = table(['sink', 'kind', 'lag entries', 'lag bytes', 'lag seconds', 'DLQ', 'state', 'behind source']);
  for (const s of status.sinks) {
    sinks.push([
      s.name,
      s.kind,
      `${s.lag.entries}${s.lag.capped ? '+' : ''}`,
      bytes(BigInt(s.lag.bytes)),
      s.lag.seconds.toFixed(1),
      s.deadLetters,
      s.paused ? 'paused' : sinkState(status, s.name),
      sourceLagText(s.sourceLag, bytes),
    ]);
  }
  out.push(status.sinks.length ? sinks.toString() : 'no sinks configured');
  out.push(...renderFanOut(status));
  const retrying = status.workers.flatMap((w) => w.owned.filter((o) => o.retrying));
  for (const o of retrying) {
    const r = o.retrying as NonNullable<typeof o.retrying>;
    out.push(
      `${o.degraded ? 'DEGRADED' : 'retrying'}: sink ${o.sink} partition ${o.partition}: ${r.step} failing since ${r.since}: ${r.error}`,
    );
  }

  if (status.workers.length) {
    const workers = table(['worker', 'host', 'pid', 'owned (sink/partition)', 'updated']);
    for (const w of status.workers) {
      workers.push([w.workerId, w.host, w.pid, w.owned.map((o) => `${o.sink}/${o.partition}`).join(' '), w.updatedAt]);
    }
    out.push(workers.toString());
  } else out.push('no live workers');
  for (const o of status.opening) {
    const t = o.trouble;
    out.push(
      `worker ${o.workerId}: opening its sinks, owns no partition yet` +
        (t
          ? ` — sink ${t.sink} failing since ${new Date(t.since).toISOString()} (${t.attempts} attempts): ${t.error}`
          : ''),
    );
  }

  out.push(renderProcesses(status));

  const jobs = table(['queue', 'waiting', 'active', 'delayed', 'completed', 'failed', 'schedule']);
  for (const j of status.jobs) {
    const c = j.counts;
    const schedule = j.schedulers.map((s) => `${s.id}${s.every ? ` every ${s.every / 1000}s` : ''}`).join(', ');
    jobs.push([
      j.queue,
      c.waiting ?? 0,
      c.active ?? 0,
      c.delayed ?? 0,
      c.completed ?? 0,
      c.failed ?? 0,
      schedule || '-',
    ]);
  }
  out.push(jobs.toString());

  if (status.snapshots.length) {
    const snapshots = table(['snapshot', 'table', 'status', 'rows', 'chunks', 'reason']);
    for (const r of status.snapshots) {
      const rows = `${r.rowsDone}/${r.estimatedTotal || '?'}`;
      snapshots.push([r.id, r.table, r.error ? `${r.status}: ${r.error}` : r.status, rows, r.chunks, r.reason ?? '-']);
    }
    out.push(snapshots.toString());
  } else out.push('no snapshots');
  return `${out.join('\n')}\n`;
}

/** One row per role process: under `run` each role has its own (same `run pid`), with --only one per pod. */
function renderProcesses(status: PipelineStatus): string {
  if (!status.processes.length) return 'no role processes reported';
  const processes = table(['role', 'host', 'pid', 'run pid', 'RSS', 'heap used', 'heap total', 'updated']);
  for (const p of status.processes) {
    processes.push([
      p.role,
      p.host,
      p.pid,
      p.supervisorPid ?? '-',
      bytes(BigInt(p.rssBytes)),
      bytes(BigInt(p.heapUsedBytes)),
      bytes(BigInt(p.heapTotalBytes)),
      p.updatedAt,
    ]);
  }
  return processes.toString();
}

/** Elasticsearch sinks' fan-out queues: keys waiting for a re-index pass, the running pass, roots done. */
function renderFanOut(status: PipelineStatus): string[] {
  const withQueue = status.sinks.filter((s) => s.fanOut);
  if (!withQueue.length) return [];
  const fanOut = table(['sink', 'fan-out keys waiting', 'pass running since', 'roots re-indexed']);
  for (const s of withQueue) {
    const f = s.fanOut as NonNullable<typeof s.fanOut>;
    fanOut.push([s.name, f.pending, f.runningSince ?? '-', f.rootsReindexed]);
  }
  return [fanOut.toString()];
}

/** degraded (a partition retrying past the worker's bound), retrying, or running. */
function sinkState(status: PipelineStatus, sink: string): string {
  const owned = status.workers.flatMap((w) => w.owned).filter((o) => o.sink === sink);
  if (owned.some((o) => o.degraded)) return 'degraded';
  if (owned.some((o) => o.retrying)) return 'retrying';
  return 'running';
}

function bytes(n: bigint): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = Number(n);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
