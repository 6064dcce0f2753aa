import { formatCount } from '../format';
import type { GatewayStatus } from '../types';
import { TablePanel } from './TablePanel';

const ms = (value: number | null): string => (value === null ? '—' : `${formatCount(value)} ms`);

/** Live subscription gateways (shown only when some run): subscribers, deliveries/s, delivery lag, drops. */
export function Gateways({ gateways }: { gateways: GatewayStatus[] | undefined }) {
  if (!gateways?.length) return null;
  return (
    <TablePanel
      label="Gateways"
      title="Subscription gateways"
      testId="gateways-table"
      head={
        <>
          <th>Gateway</th>
          <th className="num">Subscribers</th>
          <th className="num">Delivered/s</th>
          <th className="num">Lag p50</th>
          <th className="num">Lag p99</th>
          <th className="num">Drops</th>
        </>
      }
    >
      {gateways.map((g) => (
        <tr key={g.instanceId}>
          <td className="mono">
            {g.host}:{g.pid}
          </td>
          <td className="num">{formatCount(g.subscribers)}</td>
          <td className="num">{formatCount(g.deliveredPerSecond)}</td>
          <td className="num">{ms(g.lagP50Ms)}</td>
          <td className="num">{ms(g.lagP99Ms)}</td>
          <td className="num">{formatCount(g.drops)}</td>
        </tr>
      ))}
    </TablePanel>
  );
}
