/**
 * deploy/grafana/alerts.yaml and the chart's PrometheusRule: the same alerting rules, each querying
 * only metrics the code registers (a sink partition degraded, dead letters growing, the slot lost or
 * at risk, a re-sync running, a sink behind the source).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { chartDir, ciValuesDir, findTools, repoRoot } from '../scripts/chart-tools';
import { registeredMetricNames } from './registered-metrics';

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

const registered = registeredMetricNames();

const file = parse(readFileSync(join(repoRoot, 'deploy', 'grafana', 'alerts.yaml'), 'utf8')) as RuleFile;
const rules = file.groups.flatMap((g) => g.rules);

describe('alerting rules', () => {
  it('alert on a degraded sink partition and on growing dead letters, with registered metrics only', () => {
    expect(rules.map((r) => r.alert)).toEqual([
      'DistributarySinkDegraded',
      'DistributaryDeadLettersGrowing',
      'DistributarySlotLost',
      'DistributarySlotWalAtRisk',
      'DistributaryResyncRunning',
      'DistributarySinkBehindSource',
    ]);
    expect(rules[0].expr).toContain('distributary_sink_degraded');
    for (const rule of rules) {
      for (const [, name] of rule.expr.matchAll(/\b(distributary_[a-z0-9_]+)/g))
        expect(registered.has(name), `${rule.alert}: ${name} is not registered`).toBe(true);
    }
  });

  it('are rendered by the chart as a PrometheusRule when enabled, and not by default', () => {
    const { helm } = findTools();
    const render = (...set: string[]) =>
      parseAllDocuments(
        execFileSync(helm, ['template', 't', chartDir, '-f', join(ciValuesDir, 'production.yaml'), ...set], {
          encoding: 'utf8',
        }),
      )
        .map((d) => d.toJSON() as { kind?: string; spec?: RuleFile })
        .filter((d) => d?.kind === 'PrometheusRule');
    expect(render()).toEqual([]);
    const [rendered] = render('--set', 'monitoring.prometheusRule.enabled=true');
    expect(rendered.spec?.groups.flatMap((g) => g.rules)).toEqual(rules);
  });
});
