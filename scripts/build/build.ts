/**
 * `npm run build`: every lib and app (but the dashboard, which vite builds) to JavaScript under dist/,
 * one .js per .ts at the same relative path, so that code finding its files next to itself (Lua
 * scripts, the dashboard build) finds them the same way. esbuild transpiles (types are checked by
 * `npm run typecheck`); `@distributary/*` imports are rewritten to relative paths inside dist/, so the
 * output runs on plain Node with production dependencies only.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(__dirname, '..', '..');
// `--out <dir>`: another output directory (the benchmarks build their own, leaving dist/ alone).
const outIndex = process.argv.indexOf('--out');
const out = outIndex >= 0 ? resolve(process.argv[outIndex + 1]) : join(root, 'dist');
const sourceRoots = ['libs', 'apps'];
const skippedDirs = new Set(['node_modules', 'test', 'test-support', 'dist', 'dashboard', 'testkit', 'scripts', 'bin']);
const assetExtensions = ['.lua', '.sql', '.json'];

function walk(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skippedDirs.has(entry.name)) walk(path, found);
    } else found.push(path);
  }
  return found;
}

const isSource = (path: string): boolean =>
  path.endsWith('.ts') && !path.endsWith('.d.ts') && !/\.(test|spec|e2e\.test)\.ts$/.test(path);

/** tsconfig paths: module name → the output file of its index. */
function moduleTargets(): Map<string, string> {
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  const targets = new Map<string, string>();
  for (const [name, [target]] of Object.entries(tsconfig.compilerOptions.paths)) {
    targets.set(name, join(out, target.replace(/\.ts$/, '.js')));
  }
  return targets;
}

/** `require("@distributary/x")` and `import("@distributary/x")` → the relative path of its index.js. */
function rewriteImports(file: string, targets: Map<string, string>): void {
  let text = readFileSync(file, 'utf8');
  let changed = false;
  for (const [name, target] of targets) {
    const quoted = JSON.stringify(name);
    if (!text.includes(quoted)) continue;
    let path = relative(dirname(file), target);
    if (!path.startsWith('.')) path = `./${path}`;
    for (const call of ['require', 'import']) {
      text = text.split(`${call}(${quoted})`).join(`${call}(${JSON.stringify(path)})`);
    }
    changed = true;
  }
  if (changed) writeFileSync(file, text);
}

async function main(): Promise<void> {
  const started = Date.now();
  rmSync(out, { recursive: true, force: true });
  const files = sourceRoots.flatMap((dir) => walk(join(root, dir)));
  const sources = files.filter(isSource).filter((path) => path.includes(`${join('', 'src')}`));
  await build({
    entryPoints: sources,
    outdir: out,
    outbase: root,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    // import() as require(): Node's import() would want file extensions on relative paths.
    supported: { 'dynamic-import': false },
    tsconfig: join(root, 'tsconfig.base.json'),
    logLevel: 'warning',
  });
  for (const asset of files.filter((path) => assetExtensions.some((ext) => path.endsWith(ext)))) {
    if (asset.endsWith('package.json') || asset.endsWith('project.json') || asset.includes('tsconfig')) continue;
    const target = join(out, relative(root, asset));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(asset, target);
  }
  const dashboard = join(root, 'apps', 'dashboard', 'dist');
  if (existsSync(dashboard)) cpSync(dashboard, join(out, 'apps', 'dashboard', 'dist'), { recursive: true });
  const targets = moduleTargets();
  for (const file of walk(out).filter((path) => path.endsWith('.js'))) rewriteImports(file, targets);
  // The newest source this build saw: the launcher runs dist/ only while no source is newer.
  const newest = Math.max(...files.map((path) => statSync(path).mtimeMs));
  writeFileSync(
    join(out, 'build-info.json'),
    `${JSON.stringify({ builtAt: new Date().toISOString(), newestSourceMs: newest })}\n`,
  );
  process.stdout.write(`built ${sources.length} files into dist/ in ${Date.now() - started} ms\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
