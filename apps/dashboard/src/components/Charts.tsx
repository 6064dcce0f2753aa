import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatBytes, formatCount, formatTime } from '../format';
import type { MetricsSample } from '../types';

const COLORS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#4f46e5', '#65a30d'];

function sinkNames(samples: MetricsSample[]): string[] {
  const names = new Set<string>();
  for (const s of samples) for (const name of Object.keys(s.sinks)) names.add(name);
  return [...names].sort();
}

function ChartCard({ title, children, empty }: { title: string; children: React.ReactElement; empty: boolean }) {
  return (
    <section className="panel chart-card">
      <h3>{title}</h3>
      {empty ? (
        <p className="empty">Collecting samples…</p>
      ) : (
        <div className="chart">
          <ResponsiveContainer width="100%" height={200}>
            {children}
          </ResponsiveContainer>
        </div>
      )}
    </section>
  );
}

const axis = { stroke: '#94a3b8', fontSize: 11 };
/** How every line is drawn: no dots, 2 px, no animation (a new sample each second). */
const lineStyle = { dot: false, strokeWidth: 2, isAnimationActive: false } as const;
const grid = <CartesianGrid stroke="#e2e8f0" vertical={false} />;
const legend = <Legend iconType="plainline" wrapperStyle={{ fontSize: 12 }} />;
const countAxis = <YAxis tickFormatter={(v) => formatCount(Number(v))} {...axis} width={48} />;

/** One coloured line per sink for the series `<prefix>:<sink>` (same colour per sink in every chart). */
function sinkLines(names: string[], prefix: 'lag' | 'rate') {
  return names.map((name, i) => (
    <Line key={name} dataKey={`${prefix}:${name}`} name={name} stroke={COLORS[i % COLORS.length]} {...lineStyle} />
  ));
}

/** The last 15 minutes: lag per sink, throughput, retained WAL. */
export function Charts({ samples }: { samples: MetricsSample[] }) {
  const names = sinkNames(samples);
  const rows = samples.map((s) => {
    const row: Record<string, number | null> = {
      t: s.t,
      appendRate: s.appendRate,
      retainedWal: s.retainedWalBytes,
    };
    for (const name of names) {
      row[`lag:${name}`] = s.sinks[name]?.lagEntries ?? null;
      row[`rate:${name}`] = s.sinks[name]?.throughput ?? null;
    }
    return row;
  });
  const empty = rows.length < 2;
  const xAxis = (
    <XAxis
      dataKey="t"
      type="number"
      domain={['dataMin', 'dataMax']}
      tickFormatter={formatTime}
      {...axis}
      minTickGap={40}
    />
  );
  const tooltip = <Tooltip labelFormatter={(t) => formatTime(Number(t))} />;
  /** A chart of counts over time: the shared grid, axes, tooltip and legend, then `lines`. */
  const countChart = (lines: React.ReactElement[]) => (
    <LineChart data={rows}>
      {grid}
      {xAxis}
      {countAxis}
      {tooltip}
      {legend}
      {lines}
    </LineChart>
  );
  return (
    <div className="charts" data-testid="charts">
      <ChartCard title="Lag per sink (entries)" empty={empty}>
        {countChart(sinkLines(names, 'lag'))}
      </ChartCard>
      <ChartCard title="Throughput (entries/s)" empty={empty}>
        {countChart([
          <Line
            key="appendRate"
            dataKey="appendRate"
            name="appended"
            stroke="#64748b"
            strokeDasharray="4 3"
            {...lineStyle}
          />,
          ...sinkLines(names, 'rate'),
        ])}
      </ChartCard>
      <ChartCard title="Retained WAL" empty={empty}>
        <LineChart data={rows}>
          {grid}
          {xAxis}
          <YAxis tickFormatter={(v) => formatBytes(Number(v))} {...axis} width={64} />
          <Tooltip labelFormatter={(t) => formatTime(Number(t))} formatter={(v) => formatBytes(Number(v))} />
          <Line dataKey="retainedWal" name="retained WAL" stroke="#0891b2" {...lineStyle} />
        </LineChart>
      </ChartCard>
    </div>
  );
}
