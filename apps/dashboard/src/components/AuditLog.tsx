import { usePolling } from '../hooks';
import type { AuditPage } from '../types';

export function AuditLog() {
  const audit = usePolling<AuditPage>('/api/audit?limit=20', 10000);
  return (
    <section className="panel" aria-label="Audit log">
      <h2>Audit log</h2>
      {audit.error && <p className="alert error">Cannot load the audit log: {audit.error.message}</p>}
      {audit.data && !audit.data.enabled && <p className="empty">The audit log is off (admin.audit.enabled).</p>}
      {audit.data?.enabled && audit.data.entries.length === 0 && <p className="empty">No operator actions yet.</p>}
      {audit.data?.enabled && audit.data.entries.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="audit-table">
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>Action</th>
                <th className="num">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {audit.data.entries.map((e) => (
                <tr key={e.id}>
                  <td className="mono">{new Date(e.at).toLocaleString()}</td>
                  <td>
                    {e.who} <span className="badge neutral">{e.role}</span>
                  </td>
                  <td className="mono" title={e.body ?? undefined}>
                    {e.method} {e.path}
                  </td>
                  <td className="num">{e.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
