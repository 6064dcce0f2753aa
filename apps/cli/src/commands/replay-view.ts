import type { DistributaryConfig, MaterializedViewSinkConfig } from '@distributary/config';
import type { ChangeEvent, Sink } from '@distributary/core';
import { ChangeLog, type LogKeys, type RedisClient } from '@distributary/changelog';
import { createLogger } from '@distributary/observability';
import { ExitError, EXIT_FAILURE } from '../exit-codes';

/**
 * `replay <view>`: a materialized view stores its own positions in its target and keeps cumulative
 * state (counts, sums per group), so resetting the log positions alone changes nothing (the worker
 * resumes from the view's stored positions, and the contribution model ignores what it applied).
 * Replaying it therefore means rebuilding it from the compacted log: the sink is paused on every
 * worker, a new generation is built from every logged event of its tables and swapped in with its
 * positions set to where the log ended, then the sink resumes from there. Only `--from start` can
 * mean that; a midpoint or some partitions only is refused, with the reason.
 */
interface RebuildableView extends Sink {
  rebuild(
    events: AsyncIterable<ChangeEvent[]>,
    options: { positions?: Map<number, string> },
  ): Promise<{ generation: number; events: number; rejected: unknown[] }>;
}

export function refuseViewReplay(sink: string, from: string | undefined, partitions: string[] | undefined): void {
  if (from === undefined && !partitions?.length) return;
  throw new ExitError(
    EXIT_FAILURE,
    `sink ${sink} is a materialized view: its state is cumulative (counts and sums per group), so it cannot be ` +
      `replayed from ${from ? `entry ${from}` : 'some partitions only'}; \`replay ${sink} --from start\` rebuilds it ` +
      'from the compacted log',
  );
}

export async function rebuildViewFromStart(
  config: DistributaryConfig,
  sinkConfig: MaterializedViewSinkConfig,
  redis: RedisClient,
  keys: LogKeys,
  waitMs = 60_000,
): Promise<string> {
  const name = sinkConfig.name;
  const changeLog = new ChangeLog(redis, keys, config.log.partitions);
  const wasPaused = (await changeLog.sinks.paused()).includes(name);
  if (!wasPaused) await changeLog.sinks.pause(name);
  try {
    await untilNoWorkerApplies(changeLog, name, waitMs);
    const positions = new Map<number, string>();
    for (let p = 0; p < config.log.partitions; p++) {
      const stats = await changeLog.stats.partition(p);
      const last = stats.lastGeneratedId ?? stats.lastId;
      if (last) positions.set(p, last);
    }
    const { createSink, logEventsOf } = await import('@distributary/worker');
    const sink = (await createSink(sinkConfig, {
      sourceUrl: config.source.postgres.url,
      logger: createLogger(`sink:${name}`),
      log: changeLog,
    })) as RebuildableView;
    await sink.open();
    try {
      const result = await sink.rebuild(logEventsOf(changeLog, sink.tables), { positions });
      return `view ${name} rebuilt from the compacted log: generation ${result.generation}, ${result.events} event(s), ${result.rejected.length} rejected`;
    } finally {
      await sink.close();
    }
  } finally {
    if (!wasPaused) await changeLog.sinks.resume(name);
  }
}

/** Waits until no worker has a batch of the sink in flight (every owned partition reports paused). */
async function untilNoWorkerApplies(changeLog: ChangeLog, sink: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const busy = (await changeLog.sinks.workerStatuses())
      .flatMap((w) => w.owned)
      .filter((o) => o.sink === sink && o.state !== 'paused' && o.state !== 'stopped');
    if (busy.length === 0) return;
    if (Date.now() > deadline)
      throw new ExitError(
        EXIT_FAILURE,
        `sink ${sink}: partitions ${busy.map((o) => o.partition).join(', ')} did not pause within ${waitMs} ms; nothing rebuilt`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
