import { formatBytes, formatCount } from '../format';
import type { PartitionSummary } from '../types';
import { TablePanel } from './TablePanel';

export function Partitions({ partitions }: { partitions: PartitionSummary[] }) {
  return (
    <TablePanel
      label="Partitions"
      title="Log partitions"
      testId="partitions-table"
      head={
        <>
          <th>#</th>
          <th className="num">Entries</th>
          <th className="num">Appended</th>
          <th>First ID</th>
          <th>Last ID</th>
          <th className="num">Memory</th>
        </>
      }
    >
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
    </TablePanel>
  );
}
