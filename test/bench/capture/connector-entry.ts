/**
 * How a bench starts `distributary …` in a child process: `compiled`, as production runs it (the
 * Helm image and `bin/distributary` with a current build run `node dist/apps/cli/src/main.js`), or
 * `tsx`, as development runs it (the TypeScript sources under `node --import tsx`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type ConnectorEntry = 'compiled' | 'tsx';

export const repoRoot = resolve(__dirname, '..', '..', '..');

export interface EntryCommand {
  /** Arguments for process.execPath. */
  args: string[];
  env: Record<string, string>;
  /** For the report: what ran. */
  describe: string;
}

export function connectorCommand(
  entry: ConnectorEntry,
  cliArgs: string[],
  options: { dist?: string; nodeArgs?: string[] } = {},
): EntryCommand {
  const nodeArgs = options.nodeArgs ?? [];
  if (entry === 'tsx') {
    return {
      args: [...nodeArgs, '--import', 'tsx', join(repoRoot, 'apps/cli/src/main.ts'), ...cliArgs],
      env: { TSX_TSCONFIG_PATH: join(repoRoot, 'tsconfig.json') },
      describe: 'tsx: node --import tsx apps/cli/src/main.ts',
    };
  }
  const dist = resolve(repoRoot, options.dist ?? 'dist');
  const main = join(dist, 'apps/cli/src/main.js');
  if (!existsSync(main)) throw new Error(`no compiled CLI at ${main}: run npm run build (or pass --dist)`);
  return {
    args: [...nodeArgs, main, ...cliArgs],
    env: {},
    describe: `compiled: node ${main.slice(repoRoot.length + 1)}`,
  };
}

const benchDist = join(repoRoot, '.local', 'bench-dist');
let built: { entryArgs: string[]; describe: string } | undefined;

/**
 * The connector of figures 1 and 6, as `Pipeline.start(…, { entryArgs })` takes it. Default: compiled,
 * as production runs it — the current sources built once per bench run into .local/bench-dist (not
 * dist/, which `bin/distributary` may be running). BENCH_CONNECTOR=tsx: the sources under tsx;
 * BENCH_CONNECTOR_DIST=<dir>: a build made beforehand into <dir> (A/B runs of two builds).
 */
export function benchConnectorEntry(): { entryArgs: string[] | undefined; describe: string } {
  if (process.env.BENCH_CONNECTOR === 'tsx') return { entryArgs: undefined, describe: 'tsx (sources)' };
  // A/B comparisons: a build made beforehand (`scripts/build/build.ts --out <dir>`), not rebuilt.
  const prebuilt = process.env.BENCH_CONNECTOR_DIST;
  if (prebuilt)
    return {
      entryArgs: [join(resolve(repoRoot, prebuilt), 'apps/cli/src/main.js')],
      describe: `compiled, prebuilt in ${prebuilt}`,
    };
  if (!built) {
    execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/build/build.ts'), '--out', benchDist], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    built = { entryArgs: [join(benchDist, 'apps/cli/src/main.js')], describe: 'compiled (npm run build output)' };
  }
  return built;
}
