import { formatBytes, formatCount } from '../format';
import type { PartitionSummary } from '../types';

export function Partitions({ partitions }: { partitions: PartitionSummary[] }) {
  return (
    <section className="panel" aria-label="Partitions">
      <h2>Log partitions</h2>
      <div className="table-wrap">
        <table className="table" data-testid="partitions-table">
          <thead>
            <tr>
              <th>#</th>
              <th className="num">Entries</th>
              <th className="num">Appended</th>
              <th>First ID</th>
              <th>Last ID</th>
              <th className="num">Memory</th>
            </tr>
          </thead>
          <tbody>
            {partitions.map((p) => (
              <tr key={p.partition}>
                <td>p{p.partition}</td>
                <td className="num">{formatCount(p.length)}</td>
                <td className="num">{formatCount(p.entriesAdded)}</td>
                <td className="mono">{p.firstId ?? '—'}</td>
                <td className="mono">{p.lastId ?? '—'}</td>
                <td className="num">{formatBytes(p.memoryBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
