import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { health } from '@distributary/observability';
import { connectorWaitCheck } from './connector-wait-check';
import { PipelineConnections } from './pipeline-connections';
import { PipelineStatus } from './pipeline-status';
import { slotHealthChecks } from './slot-lag';
import { readConnectorStatus } from './source-status';

/** The admin's readiness checks, named after the log namespace: log Redis, source Postgres, degraded
 *  sink partitions (as the workers publish them), the slot's health and a connector waiting on a lock. */
@Injectable()
export class AdminHealthChecks implements OnModuleInit, OnModuleDestroy {
  private readonly names: string[] = [];

  constructor(
    @Inject(PipelineConnections) private readonly connections: PipelineConnections,
    @Inject(PipelineStatus) private readonly status: PipelineStatus,
  ) {}

  onModuleInit(): void {
    const { redis, pool, keys } = this.connections;
    const suffix = keys.namespace;
    const checks: [string, () => Promise<void>][] = [
      [`log-redis:${suffix}`, async () => void (await redis.ping())],
      [`source-postgres:${suffix}`, async () => void (await pool.query('SELECT 1'))],
    ];
    for (const [name, check] of checks) this.register(name, check);
    // Degraded sink partitions (retrying past the workers' bound), as the workers publish them.
    this.register(`sinks:${suffix}`, () => this.degradedCheck(), { degradesOnly: true });
    for (const [name, check, options] of [
      ...slotHealthChecks(suffix, () => this.status.source()),
      connectorWaitCheck(suffix, () => readConnectorStatus(redis, keys)),
    ])
      this.register(name, check, options);
  }

  onModuleDestroy(): void {
    for (const name of this.names) health.unregister(name);
  }

  private register(...[name, check, options]: Parameters<typeof health.register>): void {
    health.register(name, check, options);
    this.names.push(name);
  }

  private async degradedCheck(): Promise<void> {
    const degraded = (await this.status.workers())
      .flatMap((w) => w.owned)
      .filter((o) => o.degraded && o.retrying)
      .map(
        (o) =>
          `sink ${o.sink} partition ${o.partition}: ${o.retrying?.step} failing since ${o.retrying?.since}: ${o.retrying?.error}`,
      );
    if (degraded.length > 0) throw new Error(`degraded: ${degraded.join('; ')}`);
  }
}
