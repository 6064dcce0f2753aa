import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The same module names as tsconfig.base.json's paths, so tests import libs exactly as the apps do.
const root = dirname(fileURLToPath(import.meta.url));
const tsconfig = JSON.parse(readFileSync(resolve(root, 'tsconfig.base.json'), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};
const alias = Object.fromEntries(
  Object.entries(tsconfig.compilerOptions.paths).map(([name, [target]]) => [name, resolve(root, target)]),
);

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['libs/**/*.test.ts', 'apps/**/*.test.ts', 'test/**/*.test.ts', 'deploy/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/bench/**', '.local/**'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-process.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // One test file at a time: the suites start connectors, workers and whole pipelines as real
    // processes on a 2-core machine; running files side by side made lease and slot timings flaky.
    fileParallelism: false,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-artifacts/vitest.json' }]] : ['default'],
  },
});
