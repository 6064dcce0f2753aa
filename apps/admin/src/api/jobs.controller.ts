import { Body, Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBody, ApiNotImplementedResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { CompactionAdmin } from '../backend/compaction-admin';
import { SnapshotAdmin } from '../backend/snapshot-admin';
import { parseBody, snapshotStartBody } from './body';
import { snapshotId } from './params';
import { GuardedRoutes, OperatorPost } from './api-docs';
import { compactionSchema, errorSchema, snapshotsSchema, snapshotStartSchema } from './schemas';

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

  @OperatorPost('run', 'Run compaction now (operator)')
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

  @OperatorPost(undefined, 'Start an incremental snapshot of some or all tables (operator)', 202)
  @ApiBody({ schema: snapshotStartSchema, required: false })
  start(@Body() body: unknown): Promise<unknown> {
    const request = parseBody(snapshotStartBody, body);
    return this.snapshots.start(request.tables, request.where);
  }

  @OperatorPost(':id/pause', 'Pause a snapshot job (operator)')
  @ApiParam(jobParam)
  pause(@Param('id') id: string): Promise<unknown> {
    return this.snapshots.pause(snapshotId(id));
  }

  @OperatorPost(':id/resume', 'Resume a paused snapshot job (operator)')
  @ApiParam(jobParam)
  resume(@Param('id') id: string): Promise<unknown> {
    return this.snapshots.resume(snapshotId(id));
  }

  @OperatorPost(':id/cancel', 'Cancel a snapshot job (operator)')
  @ApiParam(jobParam)
  cancel(@Param('id') id: string): Promise<unknown> {
    return this.snapshots.cancel(snapshotId(id));
  }
}
