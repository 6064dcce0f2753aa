import { useEffect, useState } from 'react';
import { api } from '../api';
import { formatDateTime, formatKey, OPS } from '../format';
import { usePolling } from '../hooks';
import type { DeadLetter, DeadLetterPage, Role, SinkState } from '../types';
import type { ConfirmRequest } from './ConfirmDialog';

interface Props {
  sinks: SinkState[];
  role: Role;
  confirm(request: ConfirmRequest): void;
  notify(kind: 'ok' | 'error', text: string): void;
  onChanged(): void;
}

/** Dead letters of one sink at a time, with replay and drop (operator, after confirmation). */
export function DeadLetters({ sinks, role, confirm, notify, onChanged }: Props) {
  const [selected, setSelected] = useState<string | null>(null);
  useEffect(() => {
    if (!selected || !sinks.some((s) => s.name === selected)) {
      const withLetters = sinks.find((s) => s.dlqSize > 0) ?? sinks[0];
      setSelected(withLetters?.name ?? null);
    }
  }, [sinks, selected]);
  const page = usePolling<DeadLetterPage>(
    selected ? `/api/sinks/${encodeURIComponent(selected)}/dlq?limit=100` : null,
    3000,
  );

  const act = async (what: string, path: string, body: unknown) => {
    try {
      const result = await api<Record<string, number>>(path, { method: 'POST', body });
      notify(
        'ok',
        `${what}: ${Object.entries(result)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}`,
      );
    } catch (e) {
      notify('error', `${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      await page.refresh();
      onChanged();
    }
  };

  const base = selected ? `/api/sinks/${encodeURIComponent(selected)}/dlq` : '';
  const replay = (letter: DeadLetter) =>
    confirm({
      title: 'Replay dead letter?',
      message: `Re-read ${letter.table ?? '?'} ${formatKey(letter.key)} from the source (its current row, not the stored event ${letter.eventId ?? letter.id}) through an incremental snapshot the running connector takes, and apply it to ${selected}. The dead letter leaves the queue once the snapshot is done; a row deleted meanwhile stays deleted, and a row that fails again is dead-lettered again with the new error.`,
      confirmLabel: 'Replay',
      onConfirm: () => act('Replay', `${base}/replay`, { ids: [letter.id] }),
    });
  const drop = (letter: DeadLetter) =>
    confirm({
      title: 'Drop dead letter?',
      message: `The event ${letter.eventId ?? letter.id} will never be applied to ${selected}. This cannot be undone.`,
      confirmLabel: 'Drop',
      danger: true,
      onConfirm: () => act('Drop', `${base}/drop`, { ids: [letter.id] }),
    });
  const dropAll = () =>
    confirm({
      title: `Drop all ${page.data?.total ?? ''} dead letters of ${selected}?`,
      message: 'None of these events will ever be applied to the sink. This cannot be undone.',
      confirmLabel: 'Drop all',
      danger: true,
      onConfirm: () => act('Drop all', `${base}/drop`, {}),
    });

  return (
    <section className="panel" aria-label="Dead letters">
      <div className="panel-head">
        <h2>Dead letters</h2>
        <div className="tabs" role="tablist">
          {sinks.map((s) => (
            <button
              key={s.name}
              role="tab"
              aria-selected={s.name === selected}
              className={`tab ${s.name === selected ? 'active' : ''}`}
              onClick={() => setSelected(s.name)}
            >
              {s.name} <span className={`count ${s.dlqSize ? 'bad' : ''}`}>{s.dlqSize}</span>
            </button>
          ))}
        </div>
        {role === 'operator' && page.data && page.data.total > 0 && (
          <button className="button small danger-outline" onClick={dropAll}>
            Drop all
          </button>
        )}
      </div>
      {!selected ? (
        <p className="empty">No sinks.</p>
      ) : page.error ? (
        <p className="alert error">Cannot load dead letters: {page.error.message}</p>
      ) : !page.data ? (
        <p className="empty">Loading…</p>
      ) : page.data.entries.length === 0 ? (
        <p className="empty" data-testid="dlq-empty">
          No dead letters for {selected}. Every event was applied.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="dlq-table">
            <thead>
              <tr>
                <th>Time</th>
                <th>Event</th>
                <th>Table</th>
                <th>Key</th>
                <th>Error</th>
                {role === 'operator' && <th aria-label="actions" />}
              </tr>
            </thead>
            <tbody>
              {page.data.entries.map((letter) => (
                <tr key={letter.id} data-testid="dlq-row">
                  <td className="nowrap">{letter.time ? formatDateTime(letter.time) : '—'}</td>
                  <td className="mono nowrap">
                    <span className={`op op-${letter.op ?? ''}`}>{OPS[letter.op ?? ''] ?? letter.op ?? '?'}</span>{' '}
                    {letter.eventId ?? '—'}
                    {letter.partition !== null && <span className="muted"> · p{letter.partition}</span>}
                  </td>
                  <td>{letter.table ?? '—'}</td>
                  <td className="mono">{formatKey(letter.key)}</td>
                  <td className="error-text">{letter.error ?? '—'}</td>
                  {role === 'operator' && (
                    <td className="row-actions">
                      <button className="button small" onClick={() => replay(letter)}>
                        Replay
                      </button>
                      <button className="button small danger-outline" onClick={() => drop(letter)}>
                        Drop
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {page.data.next && <p className="muted small">Showing the oldest 100 of {page.data.total}.</p>}
        </div>
      )}
    </section>
  );
}
