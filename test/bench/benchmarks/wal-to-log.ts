import type { BenchResult } from '../bench-types';
import type { BenchContext } from '../context';
import { ROW_BYTES } from '../source-table';
import { perSecond, round } from '../stopwatch';

/** 1. WAL → log: the connector drains a slot pre-filled with N transactions × M rows. */
export async function walToLog(ctx: BenchContext): Promise<BenchResult> {
  const log = await ctx.filledLog();
  return {
    id: 1,
    name: 'WAL → log (connector draining a pre-filled slot)',
    figures: [
      { label: 'events/s', value: perSecond(log.events, log.drainSeconds), unit: 'events/s' },
      {
        label: 'events/s incl. process start',
        value: perSecond(log.events, log.drainSecondsWithStartup),
        unit: 'events/s',
      },
      { label: 'drain time', value: round(log.drainSeconds), unit: 's' },
    ],
    setup: {
      transactions: ctx.preset.transactions,
      rowsPerTransaction: ctx.preset.rowsPerTransaction,
      events: log.events,
      rowBytes: ROW_BYTES,
      partitions: ctx.preset.partitions,
      batchSize: 1000,
    },
    notes: ['timed from the first event in the log to the connector confirming the last LSN'],
  };
}
