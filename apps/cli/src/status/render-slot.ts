/** The slot-health and re-sync parts of `distributary status` (rows for the source table, banner lines). */
import type { ResyncEpisode } from '@distributary/control';
import type { SlotHealth, SourceLag } from '@distributary/pg-catalog';

export function slotRows(health: SlotHealth | undefined, bytes: (n: bigint) => string): string[][] {
  if (!health) return [];
  const keep = BigInt(health.maxSlotWalKeepSize);
  return [
    ['slot state', `${health.state.toUpperCase()}${health.reason ? `: ${health.reason}` : ''}`],
    ['wal_status', health.walStatus ?? '-'],
    ['safe_wal_size', health.safeWalSize != null ? bytes(BigInt(health.safeWalSize)) : '-'],
    ['invalidation', health.invalidationReason ?? (health.conflicting ? 'conflicting' : '-')],
    ['max_slot_wal_keep_size', keep < 0n ? 'unlimited (-1)' : bytes(keep)],
    [
      'warning at',
      health.warnBytes != null
        ? `${bytes(BigInt(health.warnBytes))} retained (${Math.round(health.warnAt * 100)} %)`
        : 'no limit to compare with',
    ],
    ['source WAL position', health.currentLsn],
  ];
}

/** Lines printed above everything when the slot is not healthy or a re-sync ran. */
export function slotBanner(health: SlotHealth | undefined, resync: ResyncEpisode | undefined): string[] {
  const lines: string[] = [];
  if (resync?.state === 'running')
    lines.push(
      `RE-SYNCING since ${resync.lostAt} (${resync.problem}: ${resync.reason}); phase ${resync.phase ?? '?'}, ` +
        `${resync.rowsDone ?? 0}/${resync.estimatedTotal ?? '?'} rows re-read; sinks are not current until it ends` +
        (resync.slotLosses
          ? `; its new slot was lost ${resync.slotLosses} time(s) (max_slot_wal_keep_size too small?)`
          : ''),
    );
  else if (resync?.state === 'stopped')
    lines.push(
      resync.slotLosses
        ? `STOPPED: ${resync.reason}. To finish the re-sync: ${resync.action ?? 'distributary resync'}`
        : `STOPPED: ${resync.reason}. source.onSlotLost is 'stop': run \`${resync.action ?? 'distributary resync'}\` ` +
            'then `distributary run` to re-snapshot and reconcile every sink',
    );
  else if (health?.state === 'lost')
    lines.push(`SLOT LOST: ${health.reason ?? ''}. The connector re-syncs on start (source.onSlotLost: resync)`);
  else if (health?.state === 'missing')
    lines.push(`SLOT MISSING: ${health.reason ?? ''}. The connector creates it (and re-syncs if the log holds data)`);
  else if (health?.state === 'warning') lines.push(`SLOT WARNING: ${health.reason ?? ''}`);
  if (resync?.state === 'done')
    lines.push(
      `last re-sync: slot ${resync.problem} at ${resync.lostAt} (from ${resync.lostFromLsn ?? '?'}), new slot at ` +
        `${resync.resyncLsn ?? '?'} (gap ${resync.gapBytes ?? '?'} B of WAL), ${resync.rowsDone ?? 0} rows re-read, ` +
        `${resync.deleted ?? 0} rows deleted in the gap removed from every sink, done ${resync.finishedAt ?? ''}`,
    );
  return lines;
}

/** "caught up" only when the sink applied everything the source committed; else bytes/seconds behind and why. */
export function sourceLagText(lag: SourceLag | undefined, bytes: (n: bigint) => string): string {
  if (!lag) return '-';
  if (lag.caughtUp) return `caught up (${bytes(BigInt(lag.bytes))})`;
  const seconds = lag.seconds === null ? '?' : `${lag.seconds.toFixed(1)} s`;
  return `${bytes(BigInt(lag.bytes))} / ${seconds} behind (${lag.why ?? ''})`;
}
