/**
 * Child process for the kill -9 test: opens a view sink, applies the first `committed` batches, says
 * "ready", waits for a line on stdin, then applies the next batch (which the test blocks mid-
 * transaction and kills). Input: JSON on argv[2] with the sink config, source URL and batches.
 */
import { createInterface } from 'node:readline';
import type { SinkBatch } from '@distributary/core';
import type { MaterializedViewSinkConfig } from '@distributary/config';
import { createMaterializedViewSink } from '@distributary/sink-materialized-view';

interface CrashInput {
  config: MaterializedViewSinkConfig;
  sourceUrl: string;
  committed: number;
  batches: (Omit<SinkBatch, 'events'> & {
    events: (Omit<SinkBatch['events'][number], 'pos'> & { pos: { lsn: string; seq: number } })[];
  })[];
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as CrashInput;
  const batches: SinkBatch[] = input.batches.map((batch) => ({
    ...batch,
    events: batch.events.map((e) => ({ ...e, pos: { lsn: BigInt(e.pos.lsn), seq: e.pos.seq } })),
  }));
  const sink = await createMaterializedViewSink(input.config, { sourceUrl: input.sourceUrl });
  await sink.open();
  for (const batch of batches.slice(0, input.committed)) await sink.apply(batch);
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  await sink.apply(batches[input.committed]);
  process.stdout.write('applied\n');
  await sink.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
