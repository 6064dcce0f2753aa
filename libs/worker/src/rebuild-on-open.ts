import type { ChangeEvent, Sink } from '@distributary/core';
import { ChangeLog, type LogHandle } from '@distributary/changelog';
import { silentLogger, type Logger } from '@distributary/observability';

/** A sink that can rebuild its target from a stream of events (Elasticsearch, materialized views). */
interface RebuildableSink extends Sink {
  needsRebuild(): Promise<boolean>;
  rebuild(events: AsyncIterable<ChangeEvent[]>): Promise<unknown>;
}

function isRebuildable(sink: Sink): sink is RebuildableSink {
  const candidate = sink as Partial<RebuildableSink>;
  return typeof candidate.needsRebuild === 'function' && typeof candidate.rebuild === 'function';
}

/** Every event of the sink's tables in the log, partition by partition (per-key order holds). */
export async function* logEventsOf(handle: LogHandle, tables: readonly string[]): AsyncGenerator<ChangeEvent[]> {
  const log = ChangeLog.of(handle);
  const wanted = new Set(tables);
  for (let p = 0; p < log.partitions; p++) {
    for await (const page of log.read.all(p)) {
      const events = page.map((entry) => entry.event).filter((event) => wanted.has(event.table));
      if (events.length) yield events;
    }
  }
}

/**
 * When a sink's shape changed (new mapping, document or view SQL), it is rebuilt from the compacted
 * log on open — a new index / table filled behind the one that keeps serving, then swapped — before
 * the runner resumes it from its committed positions.
 */
export function rebuildOnOpen(sink: Sink, log: LogHandle, logger: Logger = silentLogger): Sink {
  if (!isRebuildable(sink)) return sink;
  const open = sink.open.bind(sink);
  sink.open = async () => {
    await open();
    if (!(await sink.needsRebuild())) return;
    logger.info({ sink: sink.name }, 'sink shape changed: rebuilding from the compacted log');
    const result = await sink.rebuild(logEventsOf(log, sink.tables));
    logger.info({ sink: sink.name, result }, 'rebuild complete: swapped');
  };
  return sink;
}
