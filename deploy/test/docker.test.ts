/**
 * The image recipe, checked without a Docker engine: hadolint on the Dockerfile, the promises it
 * makes (node:20-slim runtime, uid 10001, tini, production dependencies at locked versions, /tmp as
 * the only writable place), a build context that holds what the Dockerfile copies, and the real
 * entrypoint script and lockfile guard run here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installTools, repoRoot } from '../scripts/chart-tools';

const dockerfile = join(repoRoot, 'deploy', 'docker', 'Dockerfile');
const text = readFileSync(dockerfile, 'utf8');
const instructions = text
  .replace(/\s*\\\n\s*/g, ' ')
  .split('\n')
  .filter((line) => line.trim() && !line.trim().startsWith('#'));
installTools(); // hadolint, on first use
const hadolint = join(process.env.DISTRIBUTARY_LOCAL ?? join(repoRoot, '.local'), 'bin', 'hadolint');
const tmp = mkdtempSync(join(tmpdir(), 'distributary-docker-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The stages, in order, each with its instructions. */
function stages(): { name: string; from: string; lines: string[] }[] {
  const result: { name: string; from: string; lines: string[] }[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) result.push({ from: from[1], name: from[2] ?? '', lines: [] });
    else result.at(-1)?.lines.push(line);
  }
  return result;
}

describe('Dockerfile', () => {
  it('passes hadolint', () => {
    if (!existsSync(hadolint)) throw new Error(`${hadolint} is missing — run \`npm run setup -- --all\``);
    const result = spawnSync(hadolint, ['--no-color', dockerfile], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });

  it('builds one runtime image on node:20-slim that runs as uid 10001 under tini', () => {
    expect(instructions).toContain('ARG NODE_IMAGE=node:20-slim');
    const runtime = stages().at(-1);
    expect(runtime?.name).toBe('runtime');
    expect(runtime?.from).toBe('${NODE_IMAGE}');
    expect(runtime?.lines).toContain('USER 10001:10001');
    expect(runtime?.lines).toContain('VOLUME ["/tmp"]');
    expect(runtime?.lines).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/distributary"]');
    expect(runtime?.lines.some((l) => l.startsWith('RUN ') && l.includes('tini'))).toBe(true);
    // Nothing from the build stages but production node_modules and the compiled dist/; no sources, no tsx.
    const fromStages = runtime?.lines.filter((l) => l.startsWith('COPY --from=')).map((l) => l.split(/\s+/)[1]);
    expect(fromStages).toEqual(['--from=deps', '--from=build']);
    expect(runtime?.lines.some((l) => /COPY .*\b(libs|apps)\b/.test(l))).toBe(false);
    expect(text).not.toContain('tsx');
  });

  it('installs production dependencies at their locked versions (npm ci) and compiles in its own stage', () => {
    const deps = stages().find((s) => s.name === 'deps');
    expect(deps?.lines.find((l) => l.includes('npm ci'))).toContain('--omit=dev');
    expect(instructions.some((l) => l.includes('npm install'))).toBe(false);
    expect(stages().find((s) => s.name === 'build')?.lines).toContain('RUN npm run build');
  });

  it('copies only what the build context holds (.dockerignore keeps out the rest)', () => {
    const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['**/node_modules', '.local', '**/dist', '.git', '**/*.test.ts'])
      expect(ignore).toContain(pattern);
    const sources = instructions
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) =>
        l
          .split(/\s+/)
          .slice(1, -1)
          .filter((part) => !part.startsWith('--')),
      );
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources.filter((s) => s !== '.')) {
      expect(existsSync(join(repoRoot, source)), source).toBe(true);
      expect(
        ignore.some((pattern) => pattern === source || source.startsWith(`${pattern}/`)),
        source,
      ).toBe(false);
    }
  });
});

describe('image scripts', () => {
  it('the entrypoint runs the compiled CLI on plain Node from any working directory', () => {
    execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'build', 'build.ts')], {
      cwd: repoRoot,
      stdio: 'ignore',
    });
    const result = spawnSync('sh', [join(repoRoot, 'deploy', 'docker', 'distributary'), 'run', '--help'], {
      cwd: tmp,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, DISTRIBUTARY_HOME: repoRoot, TMPDIR: tmp },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/--only <role>/);
    expect(result.stdout).toMatch(/connector[\s\S]*worker[\s\S]*admin/);
  });
});
