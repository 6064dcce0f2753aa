import { Controller, Get, Inject, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Overview } from '@distributary/admin-contract';
import { AdminBackend } from '../backend/admin-backend';
import {
  errorSchema,
  gatewaysSchema,
  metricsHistorySchema,
  overviewSchema,
  partitionsSchema,
  sessionSchema,
  sourceSchema,
  workersSchema,
} from './schemas';

@ApiTags('status')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing or unknown token', schema: errorSchema })
@Controller('api')
export class StatusController {
  constructor(@Inject(AdminBackend) private readonly backend: AdminBackend) {}

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
    const partitions = await this.backend.partitions();
    const [source, sinks, workers, gateways] = await Promise.all([
      this.backend
        .source()
        // The driver's message stays in the log: it may name hosts and users.
        .catch(() => ({ error: 'the source Postgres cannot be reached or refused the status query' })),
      this.backend.sinks(partitions),
      this.backend.workers(),
      this.backend.gateways(),
    ]);
    return { source, partitions, sinks, workers, gateways };
  }

  @Get('source')
  @ApiOperation({ summary: 'Replication slot (confirmed LSN, retained WAL) and connector leader' })
  @ApiOkResponse({ schema: sourceSchema })
  source(): Promise<unknown> {
    return this.backend.source();
  }

  @Get('workers')
  @ApiOperation({ summary: 'Live sink workers: owned partitions, positions, paused sinks' })
  @ApiOkResponse({ schema: workersSchema })
  workers(): Promise<unknown> {
    return this.backend.workers();
  }

  @Get('gateways')
  @ApiOperation({ summary: 'Live subscription gateways: subscribers, deliveries/s, delivery lag p50/p99, drops' })
  @ApiOkResponse({ schema: gatewaysSchema })
  gateways(): Promise<unknown> {
    return this.backend.gateways();
  }

  @Get('log/partitions')
  @ApiOperation({ summary: 'Change-log partitions: length, first/last entry ID, memory' })
  @ApiOkResponse({ schema: partitionsSchema })
  partitions(): Promise<unknown> {
    return this.backend.partitions();
  }

  @Get('config')
  @ApiOperation({ summary: 'The validated configuration, secrets redacted' })
  @ApiOkResponse({ schema: { type: 'object' } })
  config(): unknown {
    return this.backend.redactedConfig();
  }

  @Get('metrics/history')
  @ApiOperation({ summary: 'The last 15 minutes of live samples (one per second)' })
  @ApiOkResponse({ schema: metricsHistorySchema })
  history(): unknown {
    return this.backend.metricsHistory();
  }
}
