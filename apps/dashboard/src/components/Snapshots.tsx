import { api } from '../api';
import { formatCount } from '../format';
import type { Role, SnapshotJob } from '../types';
import type { ConfirmRequest } from './ConfirmDialog';

interface Props {
  jobs: SnapshotJob[] | undefined;
  error: Error | undefined;
  role: Role;
  confirm(request: ConfirmRequest): void;
  notify(kind: 'ok' | 'error', text: string): void;
  onChanged(): void;
}

const RUNNING = new Set(['running', 'queued', 'pending']);

/** Snapshot jobs with progress bars and their controls; clear states when there are none. */
export function Snapshots({ jobs, error, role, confirm, notify, onChanged }: Props) {
  const act = (title: string, message: string, label: string, path: string, body: unknown = {}) =>
    confirm({
      title,
      message,
      confirmLabel: label,
      onConfirm: async () => {
        try {
          await api(path, { method: 'POST', body });
          notify('ok', `${label}: done`);
        } catch (e) {
          notify('error', `${label} failed: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          onChanged();
        }
      },
    });
  return (
    <section className="panel" aria-label="Snapshots">
      <div className="panel-head">
        <h2>Snapshots</h2>
        {role === 'operator' && (
          <button
            className="button small"
            onClick={() =>
              act(
                'Start an incremental snapshot?',
                'Re-reads every configured table in chunks while streaming goes on (watermarks keep it consistent).',
                'Start snapshot',
                '/api/snapshots',
              )
            }
          >
            Start snapshot…
          </button>
        )}
      </div>
      {error ? (
        <p className="alert error">Snapshots unavailable: {error.message}</p>
      ) : !jobs ? (
        <p className="empty">Loading…</p>
      ) : jobs.length === 0 ? (
        <p className="empty">No snapshot has been recorded for this log.</p>
      ) : (
        <ul className="snapshots">
          {jobs.map((job) => {
            const pct = job.progress === null ? null : Math.round(job.progress * 100);
            return (
              <li key={job.id} className="snapshot">
                <div className="snapshot-head">
                  <strong>{job.kind === 'initial' ? 'Initial snapshot' : `Snapshot ${job.id}`}</strong>
                  <span
                    className={`badge ${job.status === 'failed' ? 'bad' : job.status === 'done' ? 'good' : 'neutral'}`}
                  >
                    {job.status ?? 'unknown'}
                  </span>
                </div>
                <div
                  className="progress"
                  role="progressbar"
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={pct ?? undefined}
                >
                  <div className="progress-fill" style={{ width: `${pct ?? 0}%` }} />
                </div>
                <div className="muted small">
                  {pct === null ? 'progress unknown' : `${pct}%`}
                  {job.rowsDone !== null &&
                    ` · ${formatCount(job.rowsDone)}${job.rowsTotal !== null ? ` of ${formatCount(job.rowsTotal)}` : ''} rows`}
                  {job.tables.length > 0 && ` · ${job.tables.join(', ')}`}
                  {typeof job.fields?.reason === 'string' && (
                    <span data-testid={`snapshot-reason-${job.id}`}> · {job.fields.reason}</span>
                  )}
                </div>
                {role === 'operator' && job.kind === 'incremental' && (
                  <div className="row-actions left">
                    {RUNNING.has(job.status ?? '') ? (
                      <button
                        className="button small"
                        onClick={() =>
                          act(
                            `Pause snapshot ${job.id}?`,
                            'It resumes where it stopped.',
                            'Pause',
                            `/api/snapshots/${job.id}/pause`,
                          )
                        }
                      >
                        Pause
                      </button>
                    ) : (
                      job.status === 'paused' && (
                        <button
                          className="button small"
                          onClick={() =>
                            act(
                              `Resume snapshot ${job.id}?`,
                              'It continues from its last chunk.',
                              'Resume',
                              `/api/snapshots/${job.id}/resume`,
                            )
                          }
                        >
                          Resume
                        </button>
                      )
                    )}
                    {(RUNNING.has(job.status ?? '') || job.status === 'paused') && (
                      <button
                        className="button small danger-outline"
                        onClick={() =>
                          act(
                            `Cancel snapshot ${job.id}?`,
                            'Rows already appended stay in the log; the rest is not read.',
                            'Cancel snapshot',
                            `/api/snapshots/${job.id}/cancel`,
                          )
                        }
                      >
                        Cancel
                      </button>
                    )}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
