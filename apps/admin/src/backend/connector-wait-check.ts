import type { HealthCheck, HealthCheckOptions } from '@distributary/observability';
import type { ConnectorStatus } from '@distributary/admin-contract';

/**
 * /health/ready: a connector waiting on something outside its control — slot creation behind old
 * transactions, a lock another session holds, a lagging synchronous standby — is degraded (200 with
 * the reason: what it waits for, held by whom, since when), not silently frozen. Only while a
 * connector holds the lease: a dead one's last report is not news.
 */
export function connectorWaitCheck(
  suffix: string,
  readConnector: () => Promise<ConnectorStatus>,
): [string, HealthCheck, HealthCheckOptions] {
  return [
    `connector-waits:${suffix}`,
    async () => {
      const { leader, state } = await readConnector();
      const waiting = state.waitingFor;
      if (leader && waiting) throw new Error(`connector waiting since ${state.waitingSince || '?'}: ${waiting}`);
    },
    { degradesOnly: true },
  ];
}
