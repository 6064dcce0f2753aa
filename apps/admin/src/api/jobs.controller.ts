import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiForbiddenResponse,
  ApiNotImplementedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { CompactionAdmin } from '../backend/compaction-admin';
import { SnapshotAdmin } from '../backend/snapshot-admin';
import { parseBody, snapshotStartBody } from './body';
import { snapshotId } from './params';
import { GuardedRoutes } from './api-docs';
import { compactionSchema, errorSchema, snapshotsSchema, snapshotStartSchema } from './schemas';

const forbidden = { description: 'viewer token', schema: errorSchema };
const notImplemented = { description: 'not available in this build', schema: errorSchema };

@GuardedRoutes('compaction')
@ApiNotImplementedResponse(notImplemented)
@Controller('api/compaction')
export class CompactionController {
  constructor(@Inject(CompactionAdmin) private readonly compaction: CompactionAdmin) {}

  @Get()
  @ApiOperation({ summary: 'Compaction statistics: last runs, entries and bytes reclaimed' })
  @ApiOkResponse({ schema: compactionSchema })
  stats(): Promise<unknown> {
    return this.compaction.state();
  }

  @Post('run')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run compaction now (operator)' })
  @ApiForbiddenResponse(forbidden)
  @ApiOkResponse({ schema: { type: 'object' } })
  run(): Promise<unknown> {
    return this.compaction.run();
  }
}

const jobParam = { name: 'id', type: String, description: 'snapshot job id' };

@GuardedRoutes('snapshots')
@ApiNotImplementedResponse(notImplemented)
@Controller('api/snapshots')
export class SnapshotsController {
  constructor(@Inject(SnapshotAdmin) private readonly snapshots: SnapshotAdmin) {}

  @Get()
  @ApiOperation({ summary: 'Snapshot jobs and their progress' })
  @ApiOkResponse({ schema: snapshotsSchema })
  list(): Promise<unknown> {
    return this.snapshots.list();
  }

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Start an incremental snapshot of some or all tables (operator)' })
  @ApiBody({ schema: snapshotStartSchema, required: false })
  @ApiForbiddenResponse(forbidden)
  start(@Body() body: unknown): Promise<unknown> {
    const request = parseBody(snapshotStartBody, body);
    return this.snapshots.start(request.tables, request.where);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause a snapshot job (operator)' })
  @ApiParam(jobParam)
  @ApiForbiddenResponse(forbidden)
  pause(@Param('id') id: string): Promise<unknown> {
    return this.snapshots.pause(snapshotId(id));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused snapshot job (operator)' })
  @ApiParam(jobParam)
  @ApiForbiddenResponse(forbidden)
  resume(@Param('id') id: string): Promise<unknown> {
    return this.snapshots.resume(snapshotId(id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a snapshot job (operator)' })
  @ApiParam(jobParam)
  @ApiForbiddenResponse(forbidden)
  cancel(@Param('id') id: string): Promise<unknown> {
    return this.snapshots.cancel(snapshotId(id));
  }
}
