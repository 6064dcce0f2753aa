/**
 * deploy/compose/docker-compose.yml, checked without a Docker engine: loaded by compose-check
 * (compose-go, the loader of `docker compose`: compose-spec schema, interpolation, merge keys), then
 * its promises: logical decoding, durable Redis, one-node Elasticsearch, leader + standby connector,
 * two workers, the subscription gateway, hardened app containers, and an environment that fills every reference of the example
 * configuration — which the real config loader must then accept.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@distributary/config';
import { afterAll, describe, expect, it } from 'vitest';
import { installTools, repoRoot } from '../scripts/chart-tools';

interface ComposeService {
  image: string;
  command: string[] | null;
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
  read_only?: boolean;
  user?: string;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
  ports?: { target: number; published: string }[];
  build?: { context: string; dockerfile: string };
}
interface ComposeProject {
  services: Record<string, ComposeService>;
}

const composeFile = join(repoRoot, 'deploy', 'compose', 'docker-compose.yml');
const exampleConfig = join(repoRoot, 'examples', 'shop', 'distributary.yaml');
const composeCheck = join(process.env.DISTRIBUTARY_LOCAL ?? join(repoRoot, '.local'), 'bin', 'compose-check');
const tmp = mkdtempSync(join(tmpdir(), 'distributary-compose-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function load(file: string): { ok: boolean; project?: ComposeProject; error: string } {
  if (!existsSync(composeCheck)) throw new Error(`${composeCheck} is missing — run \`npm run setup\` (needs Go)`);
  // A clean environment: what the file itself defaults to, not this shell's variables.
  const result = spawnSync(composeCheck, [file], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  if (result.status !== 0) return { ok: false, error: result.stderr };
  return { ok: true, project: JSON.parse(result.stdout) as ComposeProject, error: '' };
}

installTools(); // compose-check, on first use
const loaded = load(composeFile);
const services = (): Record<string, ComposeService> => {
  if (!loaded.project) throw new Error(`compose-check refused the file: ${loaded.error}`);
  return loaded.project.services;
};
const appRoles = ['connector', 'worker', 'admin', 'gateway'];

describe('docker compose', () => {
  it('loads with compose-go (schema, interpolation, merge keys)', () => {
    expect(loaded.error).toBe('');
    expect(Object.keys(services()).sort()).toEqual([
      'admin',
      'connector',
      'elasticsearch',
      'gateway',
      'postgres',
      'redis',
      'worker',
    ]);
  });

  it('is checked strictly: an unknown key fails', () => {
    const broken = join(tmp, 'docker-compose.yml');
    const text = readFileSync(composeFile, 'utf8').replace(
      '  read_only: true',
      '  read_only: true\n  readonly_root: true',
    );
    expect(text).toContain('readonly_root');
    writeFileSync(broken, text);
    const result = load(broken);
    expect(result.ok).toBe(false);
    expect(result.error).toContain('readonly_root');
  });

  it('runs PostgreSQL with logical decoding and the example shop loaded', () => {
    const postgres = services().postgres;
    expect(postgres.command?.join(' ')).toContain('-c wal_level=logical');
    const initScripts = postgres.volumes?.filter((v) => v.target.startsWith('/docker-entrypoint-initdb.d/'));
    expect(initScripts?.map((v) => v.source.replace(`${repoRoot}/`, ''))).toEqual([
      'examples/shop/schema.sql',
      'examples/shop/seed.sql',
    ]);
    for (const script of initScripts ?? []) expect(existsSync(script.source), script.source).toBe(true);
  });

  it('runs Redis with AOF fsynced on every write, Elasticsearch 8 as one node without security', () => {
    expect(services().redis.command).toEqual(['redis-server', '--appendonly', 'yes', '--appendfsync', 'always']);
    const es = services().elasticsearch;
    expect(es.image).toMatch(/elasticsearch:8\./);
    expect(es.environment).toMatchObject({ 'discovery.type': 'single-node', 'xpack.security.enabled': 'false' });
  });

  it('runs the connector as leader + standby, two workers and the admin, from one image', () => {
    expect(services().connector.deploy?.replicas).toBe(2);
    expect(services().worker.deploy?.replicas).toBe(2);
    expect(services().admin.ports?.map((p) => p.target)).toEqual([8080]);
    expect(services().gateway.ports?.map((p) => p.target)).toEqual([8090]);
    for (const role of appRoles) {
      const service = services()[role];
      expect(service.command).toEqual(['run', '--only', role]);
      expect(service.image).toBe('distributary:dev');
      expect(service.build?.dockerfile).toBe('deploy/docker/Dockerfile');
      expect(service.build?.context).toBe(repoRoot);
      expect(Object.values(service.depends_on ?? {}).map((d) => d.condition)).toEqual([
        'service_healthy',
        'service_healthy',
        'service_healthy',
      ]);
      expect(service.healthcheck?.test.join(' ')).toContain('/health/ready');
    }
  });

  it('runs the app containers non-root, read-only, without capabilities', () => {
    for (const role of appRoles) {
      const service = services()[role];
      expect(service).toMatchObject({ read_only: true, user: '10001:10001', tmpfs: ['/tmp'], cap_drop: ['ALL'] });
      expect(service.security_opt).toContain('no-new-privileges:true');
    }
  });

  it('sets every variable the example configuration references, and the config loader accepts it', () => {
    const text = readFileSync(exampleConfig, 'utf8');
    const referenced = [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)].map((m) => m[1]);
    expect(referenced.length).toBeGreaterThan(0);
    for (const role of appRoles) {
      const env = services()[role].environment ?? {};
      const configFile = env.DISTRIBUTARY_CONFIG;
      const mount = services()[role].volumes?.find((v) => configFile?.startsWith(`${v.target}/`));
      expect(mount && join(mount.source, configFile.slice(mount.target.length))).toBe(exampleConfig);
      for (const name of referenced) expect(env, `${role}: ${name}`).toHaveProperty(name);
      const config = parseConfig(text, { file: exampleConfig, env });
      expect(config.admin.port).toBe(8080);
      expect(config.log.redis).toEqual({ url: 'redis://redis:6379/0' });
      // The gateway listens on every interface in its container, on the port compose publishes.
      expect(config.gateway).toMatchObject({ port: 8090, host: '0.0.0.0' });
      expect(config.subscriptions?.length).toBeGreaterThan(0);
    }
  });
});
