/**
 * Validation of the Helm chart without a cluster: `helm lint`, `helm template`, and kubeconform over
 * the rendered manifests with strict Kubernetes JSON schemas (unknown fields and duplicate keys are
 * errors; a kind without a schema is an error, never a silent skip). The tools and schemas are
 * installed under .local/ by scripts/extras/k8s-tools.sh — by `npm run setup -- --all`, or here on first use.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const repoRoot = resolve(__dirname, '..', '..');
export const chartDir = join(repoRoot, 'deploy', 'helm', 'distributary');
export const ciValuesDir = join(repoRoot, 'deploy', 'helm', 'ci-values');
const local = process.env.DISTRIBUTARY_LOCAL ?? join(repoRoot, '.local');
export const schemaDir = join(local, 'k8s-schemas');

/** The Kubernetes versions validated against; the same list as K8S_SCHEMA_VERSIONS in k8s-tools.sh. */
export const kubernetesVersions = ['1.30.0', '1.37.0'];

export interface Tools {
  helm: string;
  kubeconform: string;
}

/** Installs the pinned tools on first use (idempotent: a second run only checks its stamps). */
export function installTools(): void {
  execFileSync('bash', [join(repoRoot, 'scripts', 'extras', 'k8s-tools.sh')], { stdio: 'inherit' });
}

/** The pinned helm and kubeconform from .local/bin (installed on first use), or an error saying how to get them. */
export function findTools(): Tools {
  installTools();
  const tools = { helm: join(local, 'bin', 'helm'), kubeconform: join(local, 'bin', 'kubeconform') };
  const missing = Object.values(tools).filter((path) => !existsSync(path));
  for (const version of kubernetesVersions) {
    const dir = join(schemaDir, `v${version}-standalone-strict`);
    if (!existsSync(dir) || readdirSync(dir).length === 0) missing.push(dir);
  }
  if (!existsSync(join(schemaDir, 'crds', 'monitoring.coreos.com', 'servicemonitor_v1.json'))) {
    missing.push(join(schemaDir, 'crds', 'monitoring.coreos.com', 'servicemonitor_v1.json'));
  }
  if (missing.length > 0) {
    throw new Error(
      `chart validation tools missing: ${missing.join(', ')} — run \`npm run setup -- --all\` (needs Go)`,
    );
  }
  return tools;
}

/** The CI values files, by name (minimal, production, …). */
export function ciValuesFiles(): Record<string, string> {
  return Object.fromEntries(
    readdirSync(ciValuesDir)
      .filter((file) => file.endsWith('.yaml'))
      .sort()
      .map((file) => [file.replace(/\.yaml$/, ''), join(ciValuesDir, file)]),
  );
}

export interface CommandResult {
  ok: boolean;
  output: string;
}

function run(command: string, args: string[], input?: string): CommandResult & { stdout: string } {
  const result = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { ok: result.status === 0, stdout: result.stdout, output: `${result.stdout}${result.stderr}`.trim() };
}

/** `helm lint --strict` (warnings fail too) with a values file. */
export function helmLint(tools: Tools, valuesFile: string, kubeVersion: string): CommandResult {
  return run(tools.helm, ['lint', '--strict', chartDir, '--kube-version', kubeVersion, '-f', valuesFile]);
}

/** `helm template`; throws with helm's message when the chart does not render. */
export function helmTemplate(tools: Tools, kubeVersion: string, valuesFiles: string[], extra: string[] = []): string {
  const args = ['template', 'distributary', chartDir, '--namespace', 'data', '--kube-version', kubeVersion];
  for (const file of valuesFiles) args.push('-f', file);
  const result = run(tools.helm, [...args, ...extra]);
  if (!result.ok) throw new Error(`helm template failed: ${result.output}`);
  return result.stdout;
}

export interface KubeconformResource {
  filename: string;
  kind: string;
  name: string;
  version: string;
  status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty';
  msg: string;
}

export interface KubeconformReport {
  ok: boolean;
  resources: KubeconformResource[];
  summary: { valid: number; invalid: number; errors: number; skipped: number };
}

/**
 * kubeconform -strict over files of rendered manifests: core kinds against the Kubernetes schemas of
 * `kubeVersion`, CRDs (ServiceMonitor) against the schemas generated from their CRDs. No -skip and no
 * -ignore-missing-schemas: a kind without a schema is an error.
 */
export function kubeconform(tools: Tools, files: string[], kubeVersion: string): KubeconformReport {
  const args = [
    '-strict',
    '-summary',
    '-verbose',
    '-output',
    'json',
    '-kubernetes-version',
    kubeVersion,
    '-schema-location',
    join(
      schemaDir,
      '{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json',
    ),
    '-schema-location',
    join(schemaDir, 'crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'),
    ...files,
  ];
  const result = run(tools.kubeconform, args);
  const report = JSON.parse(result.stdout) as Omit<KubeconformReport, 'ok'>;
  return { ...report, resources: report.resources ?? [], ok: result.ok };
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

export function helmVersion(tools: Tools): string {
  return execFileSync(tools.helm, ['version', '--short'], { encoding: 'utf8' }).trim();
}
