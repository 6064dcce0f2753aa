import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, forgetToken, storedToken } from './api';
import { AuditLog } from './components/AuditLog';
import { Charts } from './components/Charts';
import { ConfirmDialog, type ConfirmRequest } from './components/ConfirmDialog';
import { DeadLetters } from './components/DeadLetters';
import { FlowOverview } from './components/FlowOverview';
import { SlotBanner } from './components/SlotBanner';
import { LiveTail } from './components/LiveTail';
import { Login } from './components/Login';
import { Gateways } from './components/Gateways';
import { Partitions } from './components/Partitions';
import { Snapshots } from './components/Snapshots';
import { Verification } from './components/Verification';
import { useLiveMetrics, usePolling } from './hooks';
import type { Overview, Role, SinkState, SnapshotJob, VerifyResult } from './types';

interface Toast {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

function Dashboard({ role, onLogout }: { role: Role; onLogout(): void }) {
  const overview = usePolling<Overview>('/api/overview', 2000);
  const snapshots = usePolling<SnapshotJob[]>('/api/snapshots', 5000);
  const verification = usePolling<VerifyResult[]>('/api/verify', 10000);
  const { samples, connected } = useLiveMetrics();
  const [dialog, setDialog] = useState<ConfirmRequest | null>(null);
  const [toasts, setToasts] = useState<Toast[]>([]);

  const notify = useCallback((kind: Toast['kind'], text: string) => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t, { id, kind, text }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 6000);
  }, []);

  useEffect(() => {
    if (overview.error instanceof ApiError && overview.error.status === 401) onLogout();
  }, [overview.error, onLogout]);

  const sinkAction = async (what: string, path: string, body: unknown = {}) => {
    try {
      await api(path, { method: 'POST', body });
      notify('ok', what);
    } catch (e) {
      notify('error', `${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      await overview.refresh();
    }
  };
  const sinkPath = (sink: SinkState, action: string) => `/api/sinks/${encodeURIComponent(sink.name)}/${action}`;

  const onPause = (sink: SinkState) =>
    setDialog({
      title: `Pause ${sink.name}?`,
      message: 'Workers stop reading for this sink; its lag grows until you resume it. Nothing is lost.',
      confirmLabel: 'Pause',
      onConfirm: () => sinkAction(`Paused ${sink.name}`, sinkPath(sink, 'pause')),
    });
  const onResume = (sink: SinkState) =>
    setDialog({
      title: `Resume ${sink.name}?`,
      message: 'Workers read for this sink again from its committed position.',
      confirmLabel: 'Resume',
      onConfirm: () => sinkAction(`Resumed ${sink.name}`, sinkPath(sink, 'resume')),
    });
  const onReplay = (sink: SinkState) =>
    setDialog({
      title: `Replay ${sink.name}?`,
      message:
        'Resets the committed position of this sink on every partition; it re-applies everything after it (idempotently).',
      confirmLabel: 'Replay',
      danger: true,
      input: { label: 'From', initial: 'start', placeholder: 'start, an entry ID or an LSN like 16/B374D848' },
      onConfirm: (from) => sinkAction(`Replaying ${sink.name} from ${from}`, sinkPath(sink, 'replay'), { from }),
    });

  const latest = samples[samples.length - 1];
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Distributary
        </div>
        <div className="topbar-right">
          <span className={`live ${connected ? 'on' : 'off'}`}>{connected ? 'live' : 'reconnecting…'}</span>
          <span className="badge neutral">{role}</span>
          <a className="link" href="/api/docs" target="_blank" rel="noreferrer">
            API docs
          </a>
          <button className="button small" onClick={onLogout}>
            Sign out
          </button>
        </div>
      </header>
      <main className="content">
        {overview.error && !(overview.error instanceof ApiError && overview.error.status === 401) && (
          <div className="alert error" role="alert">
            Cannot load the pipeline state: {overview.error.message}
          </div>
        )}
        {!overview.data ? (
          !overview.error && <p className="empty">Loading the pipeline…</p>
        ) : (
          <>
            <SlotBanner source={overview.data.source} />
            <FlowOverview
              overview={overview.data}
              latest={latest}
              role={role}
              onPause={onPause}
              onResume={onResume}
              onReplay={onReplay}
            />
            <Charts samples={samples} />
            <Gateways gateways={overview.data.gateways} />
            <DeadLetters
              sinks={overview.data.sinks}
              role={role}
              confirm={setDialog}
              notify={notify}
              onChanged={() => void overview.refresh()}
            />
            <div className="grid-2">
              <Snapshots
                jobs={snapshots.data}
                error={snapshots.error}
                role={role}
                confirm={setDialog}
                notify={notify}
                onChanged={() => void snapshots.refresh()}
              />
              <Partitions partitions={overview.data.partitions} />
            </div>
            <Verification
              results={verification.data}
              error={verification.error}
              role={role}
              confirm={setDialog}
              notify={notify}
              onChanged={() => void verification.refresh()}
            />
            <LiveTail />
            <AuditLog />
          </>
        )}
      </main>
      <ConfirmDialog request={dialog} onClose={() => setDialog(null)} />
      <div className="toasts" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast ${t.kind}`} role="status">
            {t.text}
          </div>
        ))}
      </div>
    </div>
  );
}

export function App() {
  const [role, setRole] = useState<Role | null>(null);
  const [checking, setChecking] = useState(() => storedToken() !== null);

  useEffect(() => {
    if (!storedToken()) return;
    api<{ role: Role }>('/api/session')
      .then((s) => setRole(s.role))
      .catch(() => forgetToken())
      .finally(() => setChecking(false));
  }, []);

  const logout = useCallback(() => {
    forgetToken();
    setRole(null);
  }, []);

  if (checking) return <p className="empty">Loading…</p>;
  if (!role) return <Login onLogin={setRole} />;
  return <Dashboard role={role} onLogout={logout} />;
}
