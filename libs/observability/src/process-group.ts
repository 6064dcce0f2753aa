/**
 * The processes of one `distributary run` (a process per role) expose one /metrics and one
 * /health/ready. The process that serves them (the admin role, or run's own metrics server) sets the
 * source of its sibling processes' telemetry here; each process keeps its own registry. With no
 * group set, both are exactly this process's registry and checks.
 *
 * Every series of a group's /metrics carries a `role` label naming the process it comes from, so
 * per-process figures (distributary_process_resident_memory_bytes, heap, event-loop lag) stay apart.
 */
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { health, type HealthReport } from './health';
import { registry } from './metrics';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** What one process of the group tells about itself. */
export interface ProcessTelemetry {
  role: string;
  pid: number;
  metrics: MetricsJson;
  health: HealthReport['checks'];
}

let group: { role: string; peers: () => Promise<ProcessTelemetry[]> } | undefined;

/** This process is `role` of a group; `peers` answers the telemetry of the other processes. */
export function setProcessGroup(role: string, peers: () => Promise<ProcessTelemetry[]>): void {
  group = { role, peers };
  health.setRemote(async () => mergeChecks((await peers()).map((peer) => ({ role: peer.role, checks: peer.health }))));
}

export function leaveProcessGroup(): void {
  group = undefined;
  health.setRemote(undefined);
}

/** This process's metrics, its health checks and pid: what it answers when the group asks. */
export async function ownTelemetry(role: string): Promise<ProcessTelemetry> {
  const report = await health.report();
  return { role, pid: process.pid, metrics: await registry.getMetricsAsJSON(), health: report.checks };
}

/** The Prometheus exposition of this process, or of its whole group (labelled by role). */
export async function metricsText(): Promise<string> {
  if (!group) return registry.metrics();
  const own: MetricsJson = await registry.getMetricsAsJSON();
  const peers = await group.peers();
  const all = [{ role: group.role, metrics: own }, ...peers].map((p) => withRole(p.role, p.metrics));
  return AggregatorRegistry.aggregate(all).metrics();
}

export const metricsContentType = registry.contentType;

/** Each series labelled with its process's role; one value per (series, role), so `sum` keeps it. */
function withRole(role: string, metrics: MetricsJson): MetricsJson {
  return metrics.map((metric) => ({
    ...metric,
    aggregator: 'sum',
    values: metric.values.map((value) => ({ ...value, labels: { ...value.labels, role } })),
  }));
}

/** Checks of other processes under their own names; a name two processes use gets `<role>/` in front. */
function mergeChecks(processes: { role: string; checks: HealthReport['checks'] }[]): HealthReport['checks'] {
  const merged: HealthReport['checks'] = {};
  for (const { role, checks } of processes) {
    for (const [name, check] of Object.entries(checks)) merged[name in merged ? `${role}/${name}` : name] = check;
  }
  return merged;
}
