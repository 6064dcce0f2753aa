import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiNotImplementedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminBackend } from '../backend/admin-backend';
import { idsBody, parseBody, parseLimit } from './body';
import { deadLetterPageSchema, errorSchema, idsBodySchema } from './schemas';

const sinkParam = { name: 'name', type: String, description: 'sink name' };

@ApiTags('dead letters')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing or unknown token', schema: errorSchema })
@ApiNotFoundResponse({ description: 'no such sink', schema: errorSchema })
@Controller('api/sinks/:name/dlq')
export class DeadLettersController {
  constructor(@Inject(AdminBackend) private readonly backend: AdminBackend) {}

  @Get()
  @ApiOperation({ summary: 'Browse the dead letters of a sink, oldest first, paged' })
  @ApiParam(sinkParam)
  @ApiQuery({ name: 'after', type: String, required: false, description: 'entry ID of the last row seen' })
  @ApiQuery({ name: 'limit', type: Number, required: false, description: '1..500, default 50' })
  @ApiOkResponse({ schema: deadLetterPageSchema })
  list(@Param('name') name: string, @Query('after') after?: string, @Query('limit') limit?: string): Promise<unknown> {
    return this.backend.deadLetters(name, { after: after || undefined, limit: parseLimit(limit) });
  }

  @Post('replay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-apply dead letters through the sink; successes leave the DLQ (operator)' })
  @ApiParam(sinkParam)
  @ApiBody({ schema: idsBodySchema, required: false })
  @ApiOkResponse({
    schema: { type: 'object', properties: { replayed: { type: 'number' }, failed: { type: 'number' } } },
  })
  @ApiForbiddenResponse({ description: 'viewer token', schema: errorSchema })
  @ApiNotImplementedResponse({ description: 'no sink runs in this admin process', schema: errorSchema })
  replay(@Param('name') name: string, @Body() body: unknown): Promise<unknown> {
    return this.backend.replayDeadLetters(name, parseBody(idsBody, body).ids);
  }

  @Post('drop')
  @HttpCode(200)
  @ApiOperation({ summary: 'Drop the given dead letters, or all of them when no ids are given (operator)' })
  @ApiParam(sinkParam)
  @ApiBody({ schema: idsBodySchema, required: false })
  @ApiOkResponse({ schema: { type: 'object', properties: { dropped: { type: 'number' } } } })
  @ApiForbiddenResponse({ description: 'viewer token', schema: errorSchema })
  drop(@Param('name') name: string, @Body() body: unknown): Promise<unknown> {
    return this.backend.dropDeadLetters(name, parseBody(idsBody, body).ids);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Drop one dead letter (operator)' })
  @ApiParam(sinkParam)
  @ApiParam({ name: 'id', type: String, description: 'dead-letter entry ID' })
  @ApiOkResponse({ schema: { type: 'object', properties: { dropped: { type: 'number' } } } })
  @ApiForbiddenResponse({ description: 'viewer token', schema: errorSchema })
  dropOne(@Param('name') name: string, @Param('id') id: string): Promise<unknown> {
    return this.backend.dropDeadLetters(name, parseBody(idsBody, { ids: [id] }).ids);
  }
}
