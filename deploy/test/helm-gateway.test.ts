/**
 * The chart's gateway (issue 19): a Deployment + Service when `gateway.enabled`, probed on the port
 * the gateway serves /health/ready on, its metrics port scraped, a PodDisruptionBudget; refused
 * without a gateway configuration. Rendered with helm template (no cluster).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  ciValuesFiles,
  findTools,
  helmTemplate,
  kubernetesVersions,
  parseManifests,
  type Manifest,
  type Tools,
} from '../scripts/chart-tools';

interface Container {
  args: string[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
}
type Workload = Manifest & {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    ports?: { name: string; port: number; targetPort: string }[];
    template?: { spec: { containers: Container[] } };
  };
};

const tmp = mkdtempSync(join(tmpdir(), 'distributary-helm-gateway-'));
let tools: Tools;
beforeAll(() => {
  tools = findTools();
  return () => rmSync(tmp, { recursive: true, force: true });
}, 900_000);

const render = (...files: string[]): Workload[] =>
  parseManifests(helmTemplate(tools, kubernetesVersions[0], files)) as Workload[];
const named = (manifests: Workload[], kind: string, name: string): Workload | undefined =>
  manifests.find((m) => m.kind === kind && m.metadata.name === name);

describe('helm chart: gateway', () => {
  it('runs the gateway with a readiness probe on its SSE port, a Service and a PDB', () => {
    const manifests = render(ciValuesFiles()['split-workers-large']);
    const deployment = named(manifests, 'Deployment', 'distributary-gateway') as Workload;
    expect(deployment.spec.replicas).toBe(3);
    const [container] = deployment.spec.template?.spec.containers ?? [];
    expect(container.args).toEqual(['run', '--only', 'gateway', '--config', '/etc/distributary/distributary.yaml']);
    expect(container.ports).toEqual([
      { name: 'http', containerPort: 8090, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9464, protocol: 'TCP' },
    ]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'metrics' });
    const service = named(manifests, 'Service', 'distributary-gateway') as Workload;
    expect(service.metadata.labels?.['distributary.io/scrape']).toBe('true');
    expect(service.spec.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ['http', 8090, 'http'],
      ['metrics', 9464, 'metrics'],
    ]);
    const budget = named(manifests, 'PodDisruptionBudget', 'distributary-gateway') as Workload;
    expect(budget.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('gateway');
  });

  it('renders no gateway unless enabled, and refuses one without its configuration', () => {
    const minimal = ciValuesFiles().minimal;
    expect(render(minimal).some((m) => m.metadata.name === 'distributary-gateway')).toBe(false);
    const enabled = join(tmp, 'enabled.yaml');
    writeFileSync(enabled, stringify({ gateway: { enabled: true } }));
    expect(() => render(minimal, enabled)).toThrow(/config\.gateway .* and config\.subscriptions are needed/);
  });
});
