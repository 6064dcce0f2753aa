// Module boundaries (Nx tags in each project.json):
//   scope:app        apps — may use any lib, never another app
//   scope:lib        libs — never apps
//   type:core        libs/core — imports nothing of ours
//   type:sink        libs/sinks/* — never another sink
//   type:test        libs/testkit — only from tests
//   layer:log        libs/changelog — the change log: below sources, control, the worker and the sinks
//   layer:sink       libs/sinks/* — a sink knows the log and core, never a source (postgres protocol,
//                    decode, catalog, snapshot, the connector), control or the worker engine
//   layer:source     libs/postgres/*, libs/connector — never a sink or the worker engine
//   layer:app        apps/*
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.local/**', '.nx/**', 'test-artifacts/**', 'bench-results/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:lib', onlyDependOnLibsWithTags: ['scope:lib'] },
            { sourceTag: 'type:sink', notDependOnLibsWithTags: ['type:sink', 'type:test'] },
            {
              sourceTag: 'layer:log',
              notDependOnLibsWithTags: ['layer:source', 'layer:control', 'layer:worker', 'type:sink', 'type:test'],
            },
            { sourceTag: 'layer:sink', notDependOnLibsWithTags: ['layer:source', 'layer:control', 'layer:worker'] },
            { sourceTag: 'layer:source', notDependOnLibsWithTags: ['layer:sink', 'layer:worker'] },
            {
              sourceTag: 'layer:core',
              notDependOnLibsWithTags: [
                'layer:source',
                'layer:log',
                'layer:sink',
                'layer:control',
                'layer:worker',
                'layer:subscriptions',
                'layer:verify',
                'layer:test',
              ],
            },
            { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['scope:lib'] },
            { sourceTag: 'scope:test', onlyDependOnLibsWithTags: ['scope:lib', 'scope:app'] },
            { sourceTag: 'type:entrypoint', onlyDependOnLibsWithTags: ['scope:app', 'scope:lib'] },
          ],
        },
      ],
    },
  },
  // apps/cli (type:entrypoint) is the composition root: it hosts the other apps' roles in one process.
  // Nx forbids importing apps outright, whatever the tags, so the app modules it hosts are allowed here.
  {
    files: ['apps/cli/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: ['@distributary/admin', '@distributary/connector-app', '@distributary/sink-worker'],
          depConstraints: [
            { sourceTag: 'type:entrypoint', onlyDependOnLibsWithTags: ['scope:app', 'scope:lib'] },
            { sourceTag: 'scope:app', notDependOnLibsWithTags: ['type:test'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/testing/**/*.ts', 'libs/testkit/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
