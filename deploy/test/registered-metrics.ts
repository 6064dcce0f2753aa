import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../scripts/chart-tools';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Metric names registered in apps/ and libs/ (string literals starting with distributary_ in non-test sources). */
export function registeredMetricNames(): Set<string> {
  return new Set(
    ['apps', 'libs'].flatMap((dir) =>
      sourceFiles(join(repoRoot, dir)).flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/['"`](distributary_[a-z0-9_]+)['"`]/g)].map((m) => m[1]),
      ),
    ),
  );
}
