import { formatBytes, formatCount, formatRate, formatSeconds } from '../format';
import type { MetricsSample, Overview, Role, SinkState, SourceStatus } from '../types';

interface Props {
  overview: Overview;
  latest: MetricsSample | undefined;
  role: Role;
  onPause(sink: SinkState): void;
  onResume(sink: SinkState): void;
  onReplay(sink: SinkState): void;
}

function Stat({
  label,
  value,
  testId,
  tone,
}: {
  label: string;
  value: string;
  testId?: string;
  tone?: 'warn' | 'bad';
}) {
  return (
    <div className={`stat ${tone ?? ''}`}>
      <span className="stat-label">{label}</span>
      <span className="stat-value" data-testid={testId}>
        {value}
      </span>
    </div>
  );
}

function SourceCard({ source }: { source: Overview['source'] }) {
  if ('error' in source)
    return (
      <section className="flow-card" aria-label="Source">
        <header className="flow-head">
          <span className="flow-kind">Source</span>
          <span className="badge bad">unreachable</span>
        </header>
        <p className="alert error">{source.error}</p>
      </section>
    );
  const s = source as SourceStatus;
  const retained = Number(s.retainedWalBytes ?? 0);
  return (
    <section className="flow-card" aria-label="Source">
      <header className="flow-head">
        <span className="flow-kind">Source · PostgreSQL</span>
        {s.resync?.state === 'running' ? (
          <span className="badge bad">re-syncing</span>
        ) : s.resync?.state === 'stopped' ? (
          <span className="badge bad">stopped: slot {s.resync.problem}</span>
        ) : s.health?.state === 'lost' ? (
          <span className="badge bad">slot lost</span>
        ) : !s.exists ? (
          <span className="badge bad">no slot</span>
        ) : s.health?.state === 'warning' ? (
          <span className="badge warn">slot at risk</span>
        ) : s.active ? (
          <span className="badge good">streaming</span>
        ) : (
          <span className="badge warn">slot idle</span>
        )}
      </header>
      <h3 className="flow-title">{s.slot}</h3>
      <div className="stats">
        <Stat label="Confirmed LSN" value={s.confirmedLsn ?? '—'} testId="confirmed-lsn" />
        <Stat label="Current LSN" value={s.currentLsn} />
        <Stat
          label="Retained WAL"
          value={formatBytes(s.retainedWalBytes)}
          testId="retained-wal"
          tone={retained > 1024 ** 3 ? 'bad' : retained > 256 * 1024 ** 2 ? 'warn' : undefined}
        />
        <Stat label="Confirmed lag" value={formatBytes(s.confirmedLagBytes)} />
        <Stat
          label="wal_status"
          value={s.health?.walStatus ?? '—'}
          testId="wal-status"
          tone={s.health?.state === 'lost' ? 'bad' : s.health?.state === 'warning' ? 'warn' : undefined}
        />
        <Stat label="Safe WAL left" value={s.health?.safeWalSize != null ? formatBytes(s.health.safeWalSize) : '—'} />
        <Stat
          label="max_slot_wal_keep_size"
          value={
            s.health
              ? Number(s.health.maxSlotWalKeepSize) < 0
                ? 'unlimited'
                : formatBytes(s.health.maxSlotWalKeepSize)
              : '—'
          }
        />
        <Stat label="Leader" value={s.connector.leader ?? 'none'} testId="leader" />
        <Stat label="Database" value={s.database ?? '—'} />
      </div>
    </section>
  );
}

function LogCard({ overview, latest }: { overview: Overview; latest: MetricsSample | undefined }) {
  const entries = overview.partitions.reduce((n, p) => n + p.length, 0);
  const memory = overview.partitions.reduce((n, p) => n + (p.memoryBytes ?? 0), 0);
  const appended = overview.partitions.reduce((n, p) => n + p.entriesAdded, 0);
  const largest = Math.max(0, ...overview.partitions.map((p) => p.length));
  return (
    <section className="flow-card" aria-label="Change log">
      <header className="flow-head">
        <span className="flow-kind">Change log · Redis Streams</span>
        <span className="badge neutral">{overview.partitions.length} partitions</span>
      </header>
      <h3 className="flow-title">{formatCount(entries)} entries</h3>
      <div className="stats">
        <Stat label="Entries" value={formatCount(entries)} testId="log-entries" />
        <Stat label="Append rate" value={formatRate(latest?.appendRate)} testId="append-rate" />
        <Stat label="Memory" value={formatBytes(memory)} />
        <Stat label="Appended (all time)" value={formatCount(appended)} />
        <Stat label="Largest partition" value={formatCount(largest)} />
        <Stat label="Workers" value={String(overview.workers.length)} />
      </div>
    </section>
  );
}

function SinkRow({
  sink,
  role,
  onPause,
  onResume,
  onReplay,
}: { sink: SinkState; role: Role } & Omit<Props, 'overview' | 'latest' | 'role'>) {
  const lagTone = sink.lagEntries > 10_000 ? 'bad' : sink.lagEntries > 0 ? 'warn' : undefined;
  const behind = sink.sourceLag;
  return (
    <div className="sink-row" data-testid={`sink-${sink.name}`}>
      <div className="sink-top">
        <div className="sink-name">
          <strong>{sink.name}</strong>
          <span className="muted small">{sink.kind}</span>
          {sink.paused && <span className="badge warn">paused</span>}
          {(sink.degraded?.length ?? 0) > 0 && (
            <span className="badge bad" title={sink.degraded?.join('\n')}>
              degraded
            </span>
          )}
          {sink.errors > 0 && (
            <span className="badge bad" title="partitions whose worker is retrying after an error">
              retrying on {sink.errors} partition{sink.errors === 1 ? '' : 's'}
            </span>
          )}
        </div>
        {role === 'operator' && (
          <div className="sink-actions">
            {sink.paused ? (
              <button className="button small" onClick={() => onResume(sink)}>
                Resume
              </button>
            ) : (
              <button className="button small" onClick={() => onPause(sink)}>
                Pause
              </button>
            )}
            <button className="button small" onClick={() => onReplay(sink)}>
              Replay…
            </button>
          </div>
        )}
      </div>
      <div className="stats compact">
        <Stat
          label="Behind source"
          value={
            !behind
              ? '—'
              : behind.caughtUp
                ? 'caught up'
                : `${formatBytes(behind.bytes)} · ${behind.seconds === null ? '?' : formatSeconds(behind.seconds)}`
          }
          testId={`source-lag-${sink.name}`}
          tone={behind && !behind.caughtUp ? 'bad' : undefined}
        />
        <Stat
          label="Log entries behind"
          value={`${sink.lagCapped ? '≥ ' : ''}${formatCount(sink.lagEntries)}`}
          testId={`lag-${sink.name}`}
          tone={lagTone}
        />
        <Stat label="Log bytes behind" value={formatBytes(sink.lagBytes)} />
        <Stat label="Oldest" value={formatSeconds(sink.lagSeconds)} />
        <Stat label="Rate" value={formatRate(sink.throughput)} />
        <Stat
          label="DLQ"
          value={formatCount(sink.dlqSize)}
          testId={`dlq-${sink.name}`}
          tone={sink.dlqSize ? 'bad' : undefined}
        />
        {sink.fanOut && (
          <Stat
            label="Fan-out"
            value={`${formatCount(sink.fanOut.pending)} waiting · ${formatCount(sink.fanOut.rootsReindexed)} roots${
              sink.fanOut.runningSince ? ` · pass since ${sink.fanOut.runningSince.slice(11, 19)}` : ''
            }`}
            testId={`fan-out-${sink.name}`}
          />
        )}
      </div>
      {behind && !behind.caughtUp && behind.why && <p className="muted small">not current: {behind.why}</p>}
    </div>
  );
}

/** Source → log → sinks, with the numbers that say whether data is flowing. */
export function FlowOverview(props: Props) {
  const { overview, latest } = props;
  return (
    <div className="flow" data-testid="flow">
      <SourceCard source={overview.source} />
      <div className="flow-arrow" aria-hidden="true" />
      <LogCard overview={overview} latest={latest} />
      <div className="flow-arrow" aria-hidden="true" />
      <section className="flow-card sinks-card" aria-label="Sinks">
        <header className="flow-head">
          <span className="flow-kind">Sinks</span>
          <span className="badge neutral">{overview.sinks.length}</span>
        </header>
        {overview.sinks.length === 0 ? (
          <p className="empty">No sinks configured. Add one under `sinks:` in the config.</p>
        ) : (
          overview.sinks.map((sink) => (
            <SinkRow
              key={sink.name}
              sink={sink}
              role={props.role}
              onPause={props.onPause}
              onResume={props.onResume}
              onReplay={props.onReplay}
            />
          ))
        )}
      </section>
    </div>
  );
}
