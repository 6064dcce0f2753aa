#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS launcher */
// The `distributary` command. Runs the compiled CLI (dist/, from `npm run build`) when a build exists
// and no source is newer than it; otherwise the TypeScript sources under `node --import tsx`. Forwards
// signals, so `distributary run` still stops gracefully on SIGTERM / Ctrl-C. The child also holds an IPC
// channel to this launcher (DISTRIBUTARY_LAUNCHER=1): if the launcher is killed with -9, the channel
// closes and the child stops itself (apps/cli/src/launcher-link.ts) instead of running on as an orphan.
const { spawn } = require('node:child_process');
const { existsSync, readFileSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const root = join(__dirname, '..', '..', '..');
const compiled = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');

function newestSource(dir, newest = 0) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = newestSource(path, newest);
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.lua'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIsCurrent() {
  const info = join(root, 'dist', 'build-info.json');
  if (!existsSync(compiled) || !existsSync(info)) return false;
  const { newestSourceMs } = JSON.parse(readFileSync(info, 'utf8'));
  return ['apps', 'libs'].every((dir) => newestSource(join(root, dir)) <= newestSourceMs);
}

let args;
let env = process.env;
if (buildIsCurrent()) {
  args = [compiled, ...process.argv.slice(2)];
} else {
  const tsx = pathToFileURL(join(require.resolve('tsx/package.json'), '..', 'dist', 'loader.mjs')).href;
  // Module aliases (@distributary/*) come from the repository's tsconfig, wherever the command runs.
  env = { TSX_TSCONFIG_PATH: join(root, 'tsconfig.json'), ...process.env };
  args = ['--import', tsx, join(__dirname, '..', 'src', 'main.ts'), ...process.argv.slice(2)];
}
const child = spawn(process.execPath, args, {
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  env: { ...env, DISTRIBUTARY_LAUNCHER: '1' },
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exitCode = code ?? 1;
});
