/**
 * One figure-1 drain (single log Redis, no ceilings), for profiling the connector:
 *   npx tsx test/bench/capture/profile-drain.ts [--transactions 100] [--rows 500] [--batch 1000] [--prof <dir>] [--node-args '<node options>']
 * Prints the drain's figures as JSON. With --prof, the connector child runs under `node --cpu-prof` and
 * writes its CPU profile into <dir> (open it in Chrome DevTools or speedscope); --node-args adds any other
 * node options to the connector child (e.g. '--require ./memlog.cjs'). One transaction of 100,000 rows:
 * --transactions 1 --rows 100000.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { redisUrl } from '@distributary/testkit';
import { drainOnce } from './drain-run';
import { option, text } from '../argv';

/** Child processes are spawned with process.execPath: point it at a wrapper that adds node options. */
function wrapChildren(nodeArgs: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'profile-drain-'));
  const wrapper = join(dir, 'node.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" ${nodeArgs} "$@"\n`);
  chmodSync(wrapper, 0o755);
  process.execPath = wrapper;
}

async function main(): Promise<void> {
  const profileDir = text('prof');
  if (profileDir) mkdirSync(resolve(profileDir), { recursive: true });
  const nodeArgs = [profileDir ? `--cpu-prof --cpu-prof-dir="${resolve(profileDir)}"` : '', text('node-args') ?? ''];
  if (nodeArgs.some(Boolean)) wrapChildren(nodeArgs.join(' ').trim());
  const run = await drainOnce({
    redisUrl: redisUrl(),
    cluster: false,
    recvlogical: false,
    ceiling: false,
    transactions: option('transactions', 100),
    rowsPerTransaction: option('rows', 500),
    partitions: 8,
    batchSize: option('batch', 1000),
  });
  process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
