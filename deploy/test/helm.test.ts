/**
 * The Helm chart, validated without a cluster: helm lint, helm template over every CI values file and
 * Kubernetes version, kubeconform with strict schemas (ServiceMonitor included), and the promises the
 * chart makes (non-root, read-only root fs, probes, leader + standby, PDBs, credentials wiring, worker
 * groups). The rendered configuration must also pass the real config loader.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@distributary/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import {
  ciValuesFiles,
  findTools,
  helmLint,
  helmTemplate,
  kubeconform,
  kubernetesVersions,
  parseManifests,
  type KubeconformReport,
  type KubeconformResource,
  type Manifest,
  type Tools,
} from '../scripts/chart-tools';

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  args: string[];
  ports: { name: string; containerPort: number }[];
  env: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  securityContext: {
    runAsNonRoot: boolean;
    readOnlyRootFilesystem: boolean;
    allowPrivilegeEscalation: boolean;
    capabilities: { drop: string[] };
    seccompProfile: { type: string };
  };
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  terminationGracePeriodSeconds: number;
  securityContext: { runAsNonRoot: boolean; runAsUser: number; seccompProfile: { type: string } };
  containers: Container[];
  volumes: { name: string; configMap?: { name: string }; emptyDir?: object }[];
}
interface Deployment extends Manifest {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

const tmp = mkdtempSync(join(tmpdir(), 'distributary-helm-'));
const valuesFiles = ciValuesFiles();
let tools: Tools;
/** Rendered output per values file and Kubernetes version. */
const rendered = new Map<string, string>();

function render(valuesName: string, kubeVersion = kubernetesVersions[0]): Manifest[] {
  const key = `${valuesName}@${kubeVersion}`;
  if (!rendered.has(key)) rendered.set(key, helmTemplate(tools, kubeVersion, [valuesFiles[valuesName]]));
  return parseManifests(rendered.get(key) as string);
}

function valuesFile(name: string, values: unknown): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

const byKind = <T extends Manifest>(manifests: Manifest[], kind: string): T[] =>
  manifests.filter((m) => m.kind === kind) as T[];
const deployment = (manifests: Manifest[], suffix: string): Deployment => {
  const found = byKind<Deployment>(manifests, 'Deployment').find((d) => d.metadata.name === `distributary-${suffix}`);
  if (!found) throw new Error(`no Deployment distributary-${suffix}`);
  return found;
};
const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

// The first run on a machine builds the pinned tools (a few minutes on cold Go caches).
beforeAll(() => {
  tools = findTools();
  return () => rmSync(tmp, { recursive: true, force: true });
}, 900_000);

describe('helm chart', () => {
  it('has the CI values files', () => {
    expect(Object.keys(valuesFiles)).toEqual(['minimal', 'production', 'split-workers-large']);
  });

  it('passes helm lint --strict with every CI values file', () => {
    for (const [name, file] of Object.entries(valuesFiles)) {
      const result = helmLint(tools, file, kubernetesVersions[0]);
      expect(result.ok, `${name}: ${result.output}`).toBe(true);
      expect(result.output).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  // One kubeconform run per Kubernetes version over the output of every values file.
  const reports = new Map<string, KubeconformReport>();
  const validate = (kubeVersion: string): KubeconformReport => {
    if (!reports.has(kubeVersion)) {
      const files = Object.keys(valuesFiles).map((name) => {
        render(name, kubeVersion);
        const file = join(tmp, `${name}@${kubeVersion}.yaml`);
        writeFileSync(file, rendered.get(`${name}@${kubeVersion}`) as string);
        return file;
      });
      reports.set(kubeVersion, kubeconform(tools, files, kubeVersion));
    }
    return reports.get(kubeVersion) as KubeconformReport;
  };

  for (const name of ['minimal', 'production', 'split-workers-large']) {
    for (const kubeVersion of kubernetesVersions) {
      it(`${name}: every manifest rendered for Kubernetes ${kubeVersion} validates strictly`, () => {
        const manifests = render(name, kubeVersion);
        const report = validate(kubeVersion);
        const mine = report.resources.filter((r) => r.filename.endsWith(`/${name}@${kubeVersion}.yaml`));
        const problems = mine.filter((r) => r.status !== 'statusValid');
        expect(problems, JSON.stringify(problems, null, 2)).toEqual([]);
        expect(mine).toHaveLength(manifests.length);
        expect(mine.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(
          manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort(),
        );
        expect(report.summary).toMatchObject({ invalid: 0, errors: 0, skipped: 0 });
        expect(report.ok).toBe(true);
      });
    }
  }

  it('validation is strict: unknown fields, wrong types and kinds without a schema are errors', () => {
    const [deploy] = byKind<Deployment>(render('production'), 'Deployment');
    const [monitor] = byKind(render('production'), 'ServiceMonitor');
    const unknownField = structuredClone(deploy);
    unknownField.metadata.name = 'unknown-field';
    (unknownField.spec.template.spec.containers[0] as unknown as Record<string, unknown>).readinessProbez = {};
    const wrongType = structuredClone(deploy);
    wrongType.metadata.name = 'wrong-type';
    (wrongType.spec.template.spec.containers[0].ports[0] as unknown as Record<string, unknown>).containerPort = 'http';
    const badMonitor = structuredClone(monitor);
    badMonitor.metadata.name = 'bad-monitor';
    (badMonitor.spec as { endpoints: Record<string, unknown>[] }).endpoints[0].scrapeEvery = '10s';
    const noSchema = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'no-schema' } };
    const file = join(tmp, 'broken.yaml');
    writeFileSync(file, [unknownField, wrongType, badMonitor, noSchema].map((m) => stringify(m)).join('---\n'));
    const report = kubeconform(tools, [file], kubernetesVersions[0]);
    expect(report.ok).toBe(false);
    const result = (name: string): KubeconformResource | undefined => report.resources.find((r) => r.name === name);
    expect(result('unknown-field')).toMatchObject({
      status: 'statusInvalid',
      msg: expect.stringContaining('readinessProbez'),
    });
    expect(result('wrong-type')).toMatchObject({
      status: 'statusInvalid',
      msg: expect.stringContaining('containerPort'),
    });
    expect(result('bad-monitor')).toMatchObject({
      status: 'statusInvalid',
      msg: expect.stringContaining('scrapeEvery'),
    });
    expect(result('no-schema')).toMatchObject({
      status: 'statusError',
      msg: expect.stringMatching(/could not find schema/),
    });
  });

  it('refuses a config key that Helm read as a boolean (an unquoted join `on:`)', () => {
    const values = join(tmp, 'unquoted-on.yaml');
    writeFileSync(
      values,
      'config:\n  sinks:\n    - name: x\n      document:\n        c: { from: public.a, on: { id: a_id } }\n',
    );
    expect(() => helmTemplate(tools, kubernetesVersions[0], [valuesFiles.minimal, values])).toThrow(
      /config\.sinks\[0\]\.document\.c: the key "true" was read as a boolean/,
    );
  });

  it('refuses literal credentials in config (they would render into the ConfigMap), pointing to secrets', () => {
    const literal = (name: string, config: object): string => valuesFile(name, { config });
    const cases: [string, object, RegExp][] = [
      [
        'literal-url-password',
        { source: { postgres: { url: 'postgres://app:hunter2@db/shop' } } },
        /config\.source\.postgres\.url: a URL with a literal password in the ConfigMap; .*secrets\.existingSecret/,
      ],
      [
        'literal-query-password',
        { log: { redis: { url: 'redis://db:6379/0?password=hunter2' } } },
        /config\.log\.redis\.url: a URL with a literal password= parameter/,
      ],
      [
        'literal-token',
        { admin: { tokens: [{ role: 'operator', token: 'hunter2-token' }] } },
        /config\.admin\.tokens\[0\]\.token: a literal credential in the ConfigMap; .*secrets\.existingSecret/,
      ],
    ];
    for (const [name, config, message] of cases) {
      const values = literal(name, config);
      expect(() => helmTemplate(tools, kubernetesVersions[0], [valuesFiles.minimal, values])).toThrow(message);
    }
    // References are fine, in a URL too.
    const references = literal('references', {
      source: { postgres: { url: 'postgres://app:${PG_PASSWORD}@db/shop' } },
      admin: { tokens: [{ role: 'operator', token: '${OPERATOR_TOKEN}' }] },
    });
    expect(() => helmTemplate(tools, kubernetesVersions[0], [valuesFiles.minimal, references])).not.toThrow();
  });

  it('refuses values the chart does not know (values.schema.json), naming them', () => {
    const typo = valuesFile('typo', { worker: { replica: 3 } });
    expect(() => helmTemplate(tools, kubernetesVersions[0], [valuesFiles.minimal, typo])).toThrow(
      /at '\/worker': additional properties 'replica' not allowed/,
    );
  });

  it('takes the admin port from config.admin.port, and refuses one it cannot read', () => {
    const custom = valuesFile('admin-port', { config: { admin: { port: 9090 } } });
    const admin = deployment(
      parseManifests(helmTemplate(tools, kubernetesVersions[0], [valuesFiles.minimal, custom])),
      'admin',
    );
    expect(admin.spec.template.spec.containers[0].ports).toEqual([
      { name: 'http', containerPort: 9090, protocol: 'TCP' },
    ]);
    const reference = valuesFile('admin-port-ref', { config: { admin: { port: '${ADMIN_PORT:-8080}' } } });
    expect(() => helmTemplate(tools, kubernetesVersions[0], [valuesFiles.minimal, reference])).toThrow(
      /config\.admin\.port: a number is needed/,
    );
  });

  it('refuses to render with the default values: no credentials, no install', () => {
    expect(() => helmTemplate(tools, kubernetesVersions[0], [])).toThrow(/secrets\.values\.\w+ is required/);
  });

  it('runs every pod as non-root with a read-only root filesystem and no privileges', () => {
    for (const name of Object.keys(valuesFiles)) {
      const deployments = byKind<Deployment>(render(name), 'Deployment');
      expect(deployments.length).toBeGreaterThanOrEqual(3);
      for (const d of deployments) {
        const pod = d.spec.template.spec;
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        for (const container of pod.containers) {
          expect(container.securityContext).toMatchObject({
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          });
          const tmpMount = container.volumeMounts.find((m) => m.mountPath === '/tmp');
          expect(pod.volumes.find((v) => v.name === tmpMount?.name)?.emptyDir, `${d.metadata.name} /tmp`).toBeDefined();
        }
      }
    }
  });

  it('probes /health/live and /health/ready on the port each role serves them on', () => {
    const manifests = render('production');
    for (const role of ['connector', 'worker', 'admin']) {
      const [container] = deployment(manifests, role).spec.template.spec.containers;
      expect(container.args).toEqual(['run', '--only', role, '--config', '/etc/distributary/distributary.yaml']);
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      const port = role === 'admin' ? 'http' : 'metrics';
      expect(container.livenessProbe.httpGet.port).toBe(port);
      expect(container.readinessProbe.httpGet.port).toBe(port);
      const declared = container.ports.find((p) => p.name === port);
      expect(declared?.containerPort).toBe(role === 'admin' ? 8080 : 9464);
      if (role !== 'admin') expect(container.env).toContainEqual({ name: 'DISTRIBUTARY_METRICS_PORT', value: '9464' });
    }
  });

  it('runs the connector as leader + standby, spread over nodes', () => {
    const connector = deployment(render('minimal'), 'connector');
    expect(connector.spec.replicas).toBe(2);
    const affinity = (connector.spec.template.spec as unknown as { affinity: { podAntiAffinity: unknown } }).affinity;
    expect(JSON.stringify(affinity.podAntiAffinity)).toContain('kubernetes.io/hostname');
  });

  it('gives every Deployment a PodDisruptionBudget that selects exactly its pods', () => {
    for (const name of Object.keys(valuesFiles)) {
      const manifests = render(name);
      const deployments = byKind<Deployment>(manifests, 'Deployment');
      const budgets = byKind<Manifest & { spec: { selector: { matchLabels: Record<string, string> } } }>(
        manifests,
        'PodDisruptionBudget',
      );
      for (const d of deployments) {
        const selecting = budgets.filter((b) => matches(b.spec.selector.matchLabels, d.spec.template.metadata.labels));
        expect(
          selecting.map((b) => b.metadata.name),
          `${name}: ${d.metadata.name}`,
        ).toEqual([d.metadata.name]);
      }
    }
  });

  it('takes credentials from an existing Secret by the keys given, creating none', () => {
    const manifests = render('production');
    expect(byKind(manifests, 'Secret')).toEqual([]);
    const expected: Record<string, string> = {
      PG_URL: 'postgres-url',
      LOG_REDIS_URL: 'log-redis-url',
      CACHE_REDIS_URL: 'cache-redis-url',
      ES_URL: 'elasticsearch-url',
      VIEW_PG_URL: 'views-postgres-url',
      DISTRIBUTARY_ADMIN_TOKENS: 'admin-tokens',
    };
    for (const d of byKind<Deployment>(manifests, 'Deployment')) {
      const env = d.spec.template.spec.containers[0].env;
      for (const [name, key] of Object.entries(expected)) {
        const ref = env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
        expect(ref, `${d.metadata.name} ${name}`).toMatchObject({ name: 'distributary-prod-credentials', key });
        expect(ref?.optional).toBeUndefined();
      }
    }
  });

  it('creates the Secret from values when no existing Secret is named, and references it', () => {
    const manifests = render('minimal');
    const [secret] = byKind<Manifest & { stringData: Record<string, string> }>(manifests, 'Secret');
    expect(secret.metadata.name).toBe('distributary-credentials');
    expect(Object.keys(secret.stringData).sort()).toEqual([
      'DISTRIBUTARY_ADMIN_TOKENS',
      'ES_URL',
      'LOG_REDIS_URL',
      'PG_URL',
    ]);
    const env = deployment(manifests, 'worker').spec.template.spec.containers[0].env;
    expect(env.find((e) => e.name === 'PG_URL')?.valueFrom?.secretKeyRef).toEqual({
      name: 'distributary-credentials',
      key: 'PG_URL',
    });
  });

  it('marks optional keys optional and does not require their value', () => {
    const extra = valuesFile('optional', {
      secrets: { keys: { ES_API_KEY: 'es-api-key' }, optionalKeys: ['ES_API_KEY'] },
    });
    const manifests = parseManifests(helmTemplate(tools, kubernetesVersions[0], [valuesFiles.minimal, extra]));
    const env = deployment(manifests, 'admin').spec.template.spec.containers[0].env;
    expect(env.find((e) => e.name === 'ES_API_KEY')?.valueFrom?.secretKeyRef).toEqual({
      name: 'distributary-credentials',
      key: 'es-api-key',
      optional: true,
    });
    const [secret] = byKind<Manifest & { stringData: Record<string, string> }>(manifests, 'Secret');
    expect(secret.stringData).not.toHaveProperty('es-api-key');
  });

  it('autoscales workers on CPU and lag, and leaves their replica count to the HPA', () => {
    const manifests = render('production');
    const [hpa] = byKind<Manifest & { spec: { scaleTargetRef: { name: string }; metrics: unknown[] } }>(
      manifests,
      'HorizontalPodAutoscaler',
    );
    expect(hpa.spec.scaleTargetRef.name).toBe('distributary-worker');
    expect(hpa.spec.metrics).toContainEqual({
      type: 'Pods',
      pods: {
        metric: { name: 'distributary_sink_lag_entries' },
        target: { type: 'AverageValue', averageValue: '20000' },
      },
    });
    expect(hpa.spec.metrics).toContainEqual(expect.objectContaining({ type: 'Resource' }));
    expect(deployment(manifests, 'worker').spec.replicas).toBeUndefined();
    expect(deployment(manifests, 'worker').spec.template.spec.terminationGracePeriodSeconds).toBe(120);
  });

  it('routes the Ingress and the ServiceMonitor to ports that exist', () => {
    const manifests = render('production');
    type Service = Manifest & { spec: { selector: Record<string, string>; ports: { name: string }[] } };
    const services = byKind<Service>(manifests, 'Service');
    const [ingress] = byKind<Manifest & { spec: { rules: { http: { paths: { backend: unknown }[] } }[] } }>(
      manifests,
      'Ingress',
    );
    expect(ingress.spec.rules[0].http.paths[0].backend).toEqual({
      service: { name: 'distributary-admin', port: { name: 'http' } },
    });
    const [monitor] = byKind<
      Manifest & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] } }
    >(manifests, 'ServiceMonitor');
    const scraped = services.filter((s) => matches(monitor.spec.selector.matchLabels, s.metadata.labels ?? {}));
    expect(scraped.map((s) => s.metadata.name).sort()).toEqual([
      'distributary-admin',
      'distributary-connector-metrics',
      'distributary-worker-metrics',
    ]);
    for (const service of scraped) {
      const ports = service.spec.ports.map((p) => p.name);
      expect(
        monitor.spec.endpoints.some((e) => ports.includes(e.port)),
        service.metadata.name,
      ).toBe(true);
      const pods = byKind<Deployment>(manifests, 'Deployment').filter((d) =>
        matches(service.spec.selector, d.spec.template.metadata.labels),
      );
      expect(pods.length, `${service.metadata.name} selects pods`).toBeGreaterThan(0);
    }
    expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it('splits the sinks over worker groups, each with a config holding only its sinks', () => {
    const manifests = render('split-workers-large');
    const groups: Record<string, string[]> = {
      search: ['product-search', 'customer-search'],
      caches: ['product-cache', 'customer-cache'],
      views: ['sales-by-category'],
    };
    const configMaps = byKind<Manifest & { data: Record<string, string> }>(manifests, 'ConfigMap');
    for (const [group, sinks] of Object.entries(groups)) {
      const d = deployment(manifests, `worker-${group}`);
      const volume = d.spec.template.spec.volumes.find((v) => v.name === 'config');
      const configMap = configMaps.find((c) => c.metadata.name === volume?.configMap?.name);
      const config = parseYaml(configMap?.data['distributary.yaml'] ?? '') as { sinks: { name: string }[] };
      expect(config.sinks.map((s) => s.name)).toEqual(sinks);
    }
    expect(deployment(manifests, 'worker-views').spec.replicas).toBe(2);
    expect(deployment(manifests, 'worker-search').spec.template.spec.terminationGracePeriodSeconds).toBe(180);
    expect(byKind(manifests, 'HorizontalPodAutoscaler').map((h) => h.metadata.name)).toEqual([
      'distributary-worker-search',
      'distributary-worker-caches',
    ]);
  });

  it('refuses worker groups that lose or duplicate a sink', () => {
    const base = valuesFiles['split-workers-large'];
    const lost = valuesFile('lost', { worker: { groups: [{ name: 'a', sinks: ['product-search'] }] } });
    expect(() => helmTemplate(tools, kubernetesVersions[0], [base, lost])).toThrow(
      /sink "customer-search" is in no group/,
    );
    const unknown = valuesFile('unknown', {
      worker: {
        groups: [
          { name: 'a', sinks: ['product-search', 'customer-search', 'product-cache', 'customer-cache'] },
          { name: 'b', sinks: ['sales-by-category', 'nope'] },
        ],
      },
    });
    expect(() => helmTemplate(tools, kubernetesVersions[0], [base, unknown])).toThrow(/no sink named "nope"/);
    const twice = valuesFile('twice', {
      worker: {
        groups: [
          { name: 'a', sinks: ['product-search', 'customer-search', 'product-cache', 'customer-cache'] },
          { name: 'b', sinks: ['sales-by-category', 'product-cache'] },
        ],
      },
    });
    expect(() => helmTemplate(tools, kubernetesVersions[0], [base, twice])).toThrow(/"product-cache" is in both/);
  });

  it('renders a configuration that the real config loader accepts', () => {
    for (const name of Object.keys(valuesFiles)) {
      const manifests = render(name);
      const [secret] = byKind<Manifest & { stringData: Record<string, string> }>(manifests, 'Secret');
      // With an existing Secret, stand-in values of the right shape for every variable referenced.
      const env: Record<string, string> = secret?.stringData ?? {
        PG_URL: 'postgres://u:p@pg:5432/shop',
        VIEW_PG_URL: 'postgres://u:p@pg:5432/analytics',
        LOG_REDIS_URL: 'redis://redis:6379',
        CACHE_REDIS_URL: 'redis://cache:6379',
        ES_URL: 'http://es:9200',
        DISTRIBUTARY_ADMIN_TOKENS: 'viewer:viewer-token,operator:operator-token',
      };
      for (const configMap of byKind<Manifest & { data: Record<string, string> }>(manifests, 'ConfigMap')) {
        const config = parseConfig(configMap.data['distributary.yaml'], { file: configMap.metadata.name, env });
        expect(config.sinks.length, `${name}: ${configMap.metadata.name}`).toBeGreaterThan(0);
        expect(config.admin.port).toBe(8080);
      }
    }
  });
});
