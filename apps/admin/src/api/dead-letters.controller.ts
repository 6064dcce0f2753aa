import { Body, Controller, Delete, ForbiddenException, Get, Inject, Param, Query, Req } from '@nestjs/common';
import {
  ApiBody,
  ApiForbiddenResponse,
  ApiServiceUnavailableResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
} from '@nestjs/swagger';
import { DeadLetterAdmin } from '../backend/dead-letter-admin';
import { idsBody, parseBody } from './body';
import { queryFlag, queryInt, queryText, sinkName, streamId } from './params';
import { OperatorPost, sinkParam, SinkRoutes } from './api-docs';
import { deadLetterPageSchema, errorSchema, idsBodySchema } from './schemas';

@SinkRoutes('dead letters')
@Controller('api/sinks/:name/dlq')
export class DeadLettersController {
  constructor(@Inject(DeadLetterAdmin) private readonly deadLetters: DeadLetterAdmin) {}

  @Get()
  @ApiOperation({ summary: 'Browse the dead letters of a sink, oldest first, paged' })
  @ApiParam(sinkParam)
  @ApiQuery({ name: 'after', type: String, required: false, description: 'entry ID of the last row seen' })
  @ApiQuery({ name: 'limit', type: Number, required: false, description: '1..500, default 50' })
  @ApiQuery({
    name: 'full',
    type: Number,
    required: false,
    description: '1: whole row values instead of bounded previews (operator)',
  })
  @ApiOkResponse({ schema: deadLetterPageSchema })
  @ApiForbiddenResponse({ description: 'full=1 with a viewer token', schema: errorSchema })
  list(
    @Param('name') name: string,
    @Query('after') after: unknown,
    @Query('limit') limit: unknown,
    @Query('full') full: unknown,
    @Req() request: { adminRole?: string },
  ): Promise<unknown> {
    const cursor = queryText(after, 'after');
    const whole = queryFlag(full, 'full');
    if (whole && request.adminRole !== 'operator')
      throw new ForbiddenException('full=1 (whole row values) needs an operator token; viewers get previews');
    return this.deadLetters.list(sinkName(name), {
      after: cursor ? streamId(cursor, 'after') : undefined,
      limit: queryInt(limit, 'limit', 50, 1, 500),
      full: whole,
    });
  }

  @OperatorPost(
    'replay',
    'Re-sync the dead-lettered keys from the source (an incremental snapshot, current rows, never the stale events); they leave the DLQ (operator)',
  )
  @ApiParam(sinkParam)
  @ApiBody({ schema: idsBodySchema, required: false })
  @ApiOkResponse({
    schema: { type: 'object', properties: { replayed: { type: 'number' }, failed: { type: 'number' } } },
  })
  @ApiServiceUnavailableResponse({ description: 'no connector picked the re-sync snapshot up', schema: errorSchema })
  replay(@Param('name') name: string, @Body() body: unknown): Promise<unknown> {
    return this.deadLetters.replay(sinkName(name), parseBody(idsBody, body).ids);
  }

  @OperatorPost('drop', 'Drop the given dead letters, or all of them when no ids are given (operator)')
  @ApiParam(sinkParam)
  @ApiBody({ schema: idsBodySchema, required: false })
  @ApiOkResponse({ schema: { type: 'object', properties: { dropped: { type: 'number' } } } })
  drop(@Param('name') name: string, @Body() body: unknown): Promise<unknown> {
    return this.deadLetters.drop(sinkName(name), parseBody(idsBody, body).ids);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Drop one dead letter (operator)' })
  @ApiParam(sinkParam)
  @ApiParam({ name: 'id', type: String, description: 'dead-letter entry ID' })
  @ApiOkResponse({ schema: { type: 'object', properties: { dropped: { type: 'number' } } } })
  @ApiForbiddenResponse({ description: 'viewer token', schema: errorSchema })
  dropOne(@Param('name') name: string, @Param('id') id: string): Promise<unknown> {
    return this.deadLetters.drop(sinkName(name), [streamId(id, 'id')]);
  }
}
