#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS launcher */
// The `distributary` command: runs the TypeScript CLI under `node --import tsx` (no build step) and
// forwards signals, so `distributary run` still stops gracefully on SIGTERM / Ctrl-C.
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const tsx = pathToFileURL(join(require.resolve('tsx/package.json'), '..', 'dist', 'loader.mjs')).href;
const main = join(__dirname, '..', 'src', 'main.ts');
// Module aliases (@distributary/*) come from the repository's tsconfig, wherever the command runs.
const env = { TSX_TSCONFIG_PATH: join(__dirname, '..', '..', '..', 'tsconfig.json'), ...process.env };
const child = spawn(process.execPath, ['--import', tsx, main, ...process.argv.slice(2)], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
