import type { ReactElement } from 'react';
import { formatBytes, formatCount } from '../format';
import type { Overview, SourceStatus } from '../types';

/**
 * The replication slot's state above everything else: red while the slot is lost, missing, being
 * re-synced or stopped (with PostgreSQL's reason and what happens next), amber past the early-warning
 * threshold, and a note about the last re-sync (when, the WAL gap, rows re-read and deleted).
 */
export function SlotBanner({ source }: { source: Overview['source'] }) {
  if ('error' in source) return null;
  const { health, resync } = source as SourceStatus;
  const banners: ReactElement[] = [];
  if (resync?.state === 'running') {
    const pct =
      resync.estimatedTotal && resync.rowsDone !== undefined
        ? Math.min(100, Math.round((resync.rowsDone / resync.estimatedTotal) * 100))
        : null;
    banners.push(
      <div className="alert error slot-banner" role="alert" data-testid="slot-banner" key="running">
        <strong>Re-syncing: the replication slot was {resync.problem}.</strong> {resync.reason}. Since {resync.lostAt}{' '}
        no change reached the sinks; a new slot was created at {resync.resyncLsn ?? '…'} and every table is being
        re-read ({resync.phase ?? 'starting'}). Rows deleted in the gap will then be removed from every sink, and
        streaming resumes. Sinks are not current until this ends.
        <div
          className="progress"
          role="progressbar"
          aria-valuenow={pct ?? 0}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-label="re-sync progress"
        >
          <div className="progress-fill" style={{ width: `${pct ?? 0}%` }} />
        </div>
        <span className="small">
          {formatCount(resync.rowsDone ?? 0)} / {resync.estimatedTotal ? formatCount(resync.estimatedTotal) : '?'} rows
        </span>
      </div>,
    );
  } else if (resync?.state === 'stopped') {
    banners.push(
      <div className="alert error slot-banner" role="alert" data-testid="slot-banner" key="stopped">
        <strong>Pipeline stopped: the replication slot was {resync.problem}.</strong> {resync.reason}. No change reaches
        the sinks (source.onSlotLost is <code>stop</code>). Run <code>{resync.action ?? 'distributary resync'}</code>{' '}
        and then <code>distributary run</code>: a new slot, a re-snapshot of every table and a reconciliation of every
        sink.
      </div>,
    );
  } else if (health?.state === 'lost' || health?.state === 'missing') {
    banners.push(
      <div className="alert error slot-banner" role="alert" data-testid="slot-banner" key="lost">
        <strong>Replication slot {health.state}.</strong> {health.reason}. No change reaches the sinks. The connector
        re-syncs on its own when it runs (new slot, re-snapshot, reconciliation) unless source.onSlotLost is{' '}
        <code>stop</code>.
      </div>,
    );
  } else if (health?.state === 'warning') {
    banners.push(
      <div className="alert warn slot-banner" role="alert" data-testid="slot-banner" key="warning">
        <strong>Replication slot at risk.</strong> {health.reason}. Safe WAL left:{' '}
        {health.safeWalSize != null ? formatBytes(health.safeWalSize) : 'unknown'}.
      </div>,
    );
  }
  if (resync?.state === 'done')
    banners.push(
      <div className="alert info slot-banner" data-testid="resync-episode" key="done">
        Last re-sync: the slot was {resync.problem} at {resync.lostAt} (from {resync.lostFromLsn ?? '?'}); a new slot at{' '}
        {resync.resyncLsn ?? '?'} skipped {resync.gapBytes ? formatBytes(resync.gapBytes) : '?'} of WAL;{' '}
        {formatCount(resync.rowsDone ?? 0)} rows re-read, {formatCount(resync.deleted ?? 0)} rows deleted in the gap
        removed from every sink; done {resync.finishedAt ?? ''}.
      </div>,
    );
  return banners.length ? <div className="slot-banners">{banners}</div> : null;
}
