import { Body, Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBody, ApiNotImplementedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
import { PipelineStatus } from '../backend/pipeline-status';
import { SinkControls } from '../backend/sink-controls';
import { VerificationBackend } from '../backend/verification';
import { parseBody, replayBody } from './body';
import { queryInt, queryText, sinkName } from './params';
import { OperatorPost, sinkParam, SinkRoutes } from './api-docs';
import { errorSchema, replayBodySchema, sinkSchema, sinksSchema } from './schemas';

const notImplemented = { description: 'no sink worker runs in this admin process', schema: errorSchema };

@SinkRoutes('sinks')
@Controller('api/sinks')
export class SinksController {
  constructor(
    @Inject(PipelineStatus) private readonly status: PipelineStatus,
    @Inject(SinkControls) private readonly controls: SinkControls,
    @Inject(VerificationBackend) private readonly verification: VerificationBackend,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every sink: lag (entries, bytes, seconds), throughput, errors, DLQ size, paused' })
  @ApiOkResponse({ schema: sinksSchema })
  list(): Promise<unknown> {
    return this.status.sinks();
  }

  @Get(':name')
  @ApiOperation({ summary: 'One sink, with its lag per partition' })
  @ApiParam(sinkParam)
  @ApiOkResponse({ schema: sinkSchema })
  one(@Param('name') name: string): Promise<unknown> {
    return this.status.sink(sinkName(name));
  }

  @Get(':name/wait')
  @ApiOperation({
    summary:
      'Read-your-writes: answers once the sink has applied every change committed below `lsn` ' +
      '(applied: true), or after timeoutMs with its current position (applied: false, timedOut: true)',
  })
  @ApiParam(sinkParam)
  @ApiQuery({ name: 'lsn', type: String, description: 'a source LSN, e.g. 0/16B3748 (SELECT pg_current_wal_lsn())' })
  @ApiQuery({ name: 'timeoutMs', type: Number, required: false, description: 'default 5000, at most 120000' })
  @ApiOkResponse({ schema: { type: 'object' } })
  wait(
    @Param('name') name: string,
    @Query('lsn') lsn: unknown,
    @Query('timeoutMs') timeoutMs: unknown,
  ): Promise<unknown> {
    return this.verification.waitFor(
      sinkName(name),
      queryText(lsn, 'lsn', 40),
      String(queryInt(timeoutMs, 'timeoutMs', 5000, 0, 120_000)),
    );
  }

  @OperatorPost(':name/pause', 'Pause a sink (operator)')
  @ApiParam(sinkParam)
  @ApiNotImplementedResponse(notImplemented)
  pause(@Param('name') name: string): Promise<unknown> {
    return this.controls.pause(sinkName(name));
  }

  @OperatorPost(':name/resume', 'Resume a paused sink (operator)')
  @ApiParam(sinkParam)
  @ApiNotImplementedResponse(notImplemented)
  resume(@Param('name') name: string): Promise<unknown> {
    return this.controls.resume(sinkName(name));
  }

  @OperatorPost(':name/replay', 'Replay a sink from a position: reset its committed positions (operator)')
  @ApiParam(sinkParam)
  @ApiBody({ schema: replayBodySchema })
  @ApiNotImplementedResponse(notImplemented)
  replay(@Param('name') name: string, @Body() body: unknown): Promise<unknown> {
    return this.controls.replay(sinkName(name), parseBody(replayBody, body).from);
  }
}
