import { api } from '../api';
import { formatCount } from '../format';
import type { Role, VerifyResult } from '../types';
import type { ConfirmRequest } from './ConfirmDialog';

interface Props {
  results: VerifyResult[] | undefined;
  error: Error | undefined;
  role: Role;
  confirm(request: ConfirmRequest): void;
  notify(kind: 'ok' | 'error', text: string): void;
  onChanged(): void;
}

const BADGE: Record<string, string> = { clean: 'good', different: 'bad', behind: 'warn', error: 'bad' };

/** The last verification of each sink against the source (GET /api/verify), with "verify now" / repair. */
export function Verification({ results, error, role, confirm, notify, onChanged }: Props) {
  const run = (repair: boolean) =>
    confirm({
      title: repair ? 'Verify and repair every sink?' : 'Verify every sink now?',
      message: repair
        ? 'Compares each sink with the source; differing rows are re-emitted through the log and extra keys removed, then verified again.'
        : 'Compares each sink with the source at the current WAL position. Read-only.',
      confirmLabel: repair ? 'Verify and repair' : 'Verify',
      danger: repair,
      onConfirm: async () => {
        try {
          await api('/api/verify', { method: 'POST', body: { repair } });
          notify('ok', 'Verification queued');
        } catch (e) {
          notify('error', `Verification failed: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          onChanged();
        }
      },
    });
  return (
    <section className="panel" aria-label="Verification">
      <div className="panel-head">
        <h2>Verification</h2>
        {role === 'operator' && (
          <span>
            <button className="button small" onClick={() => run(false)}>
              Verify now…
            </button>{' '}
            <button className="button small" onClick={() => run(true)}>
              Repair…
            </button>
          </span>
        )}
      </div>
      {error ? (
        <p className="alert error">Verification results unavailable: {error.message}</p>
      ) : !results ? (
        <p className="empty">Loading…</p>
      ) : results.length === 0 ? (
        <p className="empty">No sink has been verified yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="verify-table">
            <thead>
              <tr>
                <th>Sink</th>
                <th>Status</th>
                <th>LSN</th>
                <th>Verified</th>
                <th className="num">Source</th>
                <th className="num">Missing</th>
                <th className="num">Extra</th>
                <th className="num">Different</th>
              </tr>
            </thead>
            <tbody>
              {results.map((r) => {
                const last = r.afterRepair ?? r;
                return (
                  <tr key={r.sink}>
                    <td>{r.sink}</td>
                    <td>
                      <span className={`badge ${BADGE[last.status] ?? 'neutral'}`} title={last.error ?? ''}>
                        {last.status}
                        {r.afterRepair ? ' (repaired)' : ''}
                      </span>
                    </td>
                    <td className="mono">{last.lsn || '—'}</td>
                    <td>{new Date(last.verifiedAt).toLocaleString()}</td>
                    <td className="num">{formatCount(last.expectedCount)}</td>
                    <td className="num">{formatCount(last.missingCount)}</td>
                    <td className="num">{formatCount(last.extraCount)}</td>
                    <td className="num">{formatCount(last.differentCount)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
