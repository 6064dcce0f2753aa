import { formatKey, OPS } from '../format';
import { useLiveTail } from '../hooks';

/** A sampled live tail of the change events entering the log. */
export function LiveTail() {
  const { events, rate } = useLiveTail(true);
  return (
    <section className="panel" aria-label="Live tail">
      <div className="panel-head">
        <h2>Live tail</h2>
        <span className="muted small">
          {rate === null ? 'connecting…' : `${rate} events in the last second (sampled)`}
        </span>
      </div>
      {events.length === 0 ? (
        <p className="empty">Waiting for change events…</p>
      ) : (
        <ul className="tail">
          {events.map((e) => (
            <li key={`${e.partition}:${e.id}`}>
              <span className={`op op-${e.op}`}>{OPS[e.op] ?? e.op}</span>
              <span>{e.table}</span>
              <span className="mono">{formatKey(e.key)}</span>
              <span className="muted mono small">
                p{e.partition} · {e.id}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
