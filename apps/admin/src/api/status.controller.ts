import { Controller, Get, Inject, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { Overview } from '@distributary/admin-contract';
import { MetricsHistory } from '../backend/metrics-history';
import { PipelineStatus } from '../backend/pipeline-status';
import { GuardedRoutes } from './api-docs';
import {
  gatewaysSchema,
  metricsHistorySchema,
  overviewSchema,
  partitionsSchema,
  sessionSchema,
  sourceSchema,
  workersSchema,
} from './schemas';

@GuardedRoutes('status')
@Controller('api')
export class StatusController {
  constructor(
    @Inject(PipelineStatus) private readonly status: PipelineStatus,
    @Inject(MetricsHistory) private readonly metrics: MetricsHistory,
  ) {}

  @Get('session')
  @ApiOperation({ summary: 'The role the presented token grants' })
  @ApiOkResponse({ schema: sessionSchema })
  session(@Req() request: { adminRole?: string; adminWho?: string }): { role: string | undefined; who?: string } {
    return { role: request.adminRole, who: request.adminWho };
  }

  @Get('overview')
  @ApiOperation({ summary: 'Source, log partitions and sinks in one answer (what the dashboard shows)' })
  @ApiOkResponse({ schema: overviewSchema })
  async overview(): Promise<Overview> {
    const partitions = await this.status.partitions();
    const [source, sinks, workers, gateways] = await Promise.all([
      this.status
        .source()
        // The driver's message stays in the log: it may name hosts and users.
        .catch(() => ({ error: 'the source Postgres cannot be reached or refused the status query' })),
      this.status.sinks(partitions),
      this.status.workers(),
      this.status.gateways(),
    ]);
    return { source, partitions, sinks, workers, gateways };
  }

  @Get('source')
  @ApiOperation({ summary: 'Replication slot (confirmed LSN, retained WAL) and connector leader' })
  @ApiOkResponse({ schema: sourceSchema })
  source(): Promise<unknown> {
    return this.status.source();
  }

  @Get('workers')
  @ApiOperation({ summary: 'Live sink workers: owned partitions, positions, paused sinks' })
  @ApiOkResponse({ schema: workersSchema })
  workers(): Promise<unknown> {
    return this.status.workers();
  }

  @Get('gateways')
  @ApiOperation({ summary: 'Live subscription gateways: subscribers, deliveries/s, delivery lag p50/p99, drops' })
  @ApiOkResponse({ schema: gatewaysSchema })
  gateways(): Promise<unknown> {
    return this.status.gateways();
  }

  @Get('log/partitions')
  @ApiOperation({ summary: 'Change-log partitions: length, first/last entry ID, memory' })
  @ApiOkResponse({ schema: partitionsSchema })
  partitions(): Promise<unknown> {
    return this.status.partitions();
  }

  @Get('config')
  @ApiOperation({ summary: 'The validated configuration, secrets redacted' })
  @ApiOkResponse({ schema: { type: 'object' } })
  config(): unknown {
    return this.status.redactedConfig();
  }

  @Get('metrics/history')
  @ApiOperation({ summary: 'The last 15 minutes of live samples (one per second)' })
  @ApiOkResponse({ schema: metricsHistorySchema })
  history(): unknown {
    return this.metrics.toArray();
  }
}
