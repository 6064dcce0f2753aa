/**
 * deploy/grafana/distributary.json: every metric a panel queries is one the code registers (so the
 * dashboard cannot drift into empty panels), and the dashboard covers what operators need: events/s,
 * append latency, retained WAL, per-sink lag, dead letters and errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../scripts/chart-tools';
import { registeredMetricNames } from './registered-metrics';

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string }[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
}

const dashboard = JSON.parse(
  readFileSync(join(repoRoot, 'deploy', 'grafana', 'distributary.json'), 'utf8'),
) as Dashboard;
const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr));

const registered = registeredMetricNames();

describe('grafana dashboard', () => {
  it('is a dashboard with a Prometheus data source variable and queries on every graph', () => {
    expect(dashboard.uid).toBe('distributary');
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')?.type).toBe('datasource');
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(10);
    for (const panel of graphs) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
    }
  });

  it('queries only metrics the code registers', () => {
    const used = new Set(queries.flatMap((q) => [...q.matchAll(/\b(distributary_[a-z0-9_]+)/g)].map((m) => m[1])));
    expect(used.size).toBeGreaterThan(15);
    for (const name of used) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      expect(registered.has(name) || registered.has(base), `${name} is not registered in apps/ or libs/`).toBe(true);
    }
  });

  it('shows events/s, append latency, retained WAL, per-sink lag, dead letters and errors', () => {
    const all = queries.join('\n');
    expect(all).toContain('rate(distributary_connector_events_total');
    expect(all).toContain('distributary_connector_append_seconds_bucket');
    expect(all).toContain('distributary_connector_retained_wal_bytes');
    expect(all).toMatch(/sum by \(sink\) \(max by \(sink, partition\) \(distributary_sink_lag_entries/);
    expect(all).toContain('distributary_sink_dlq_size');
    expect(all).toContain('rate(distributary_sink_errors_total');
  });
});
