import { BadRequestException, Controller, Inject, type MessageEvent, Query, Sse } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiCookieAuth,
} from '@nestjs/swagger';
import { map, type Observable } from 'rxjs';
import { AdminBackend } from '../backend/admin-backend';
import { errorSchema } from './schemas';

/** Server-sent events. EventSource cannot send headers, so these accept the `distributary_token`
 *  cookie the dashboard sets at login (GET only) as well as the bearer header. */
export const MAX_TAIL_SAMPLE = 50;

@ApiTags('events')
@ApiCookieAuth('distributary_token')
@ApiUnauthorizedResponse({ description: 'missing or unknown token', schema: errorSchema })
@Controller('api/events')
export class EventsController {
  constructor(@Inject(AdminBackend) private readonly backend: AdminBackend) {}

  @Sse('metrics')
  @ApiOperation({ summary: 'Live numbers every second (text/event-stream of metrics samples)' })
  @ApiOkResponse({ description: 'event-stream; each data is a metrics sample', content: { 'text/event-stream': {} } })
  metrics(): Observable<MessageEvent> {
    return this.backend.metricsStream().pipe(map((sample) => ({ type: 'sample', data: sample })));
  }

  @Sse('tail')
  @ApiOperation({ summary: 'A sampled live tail of change events, read from the partitions’ ends' })
  @ApiQuery({ name: 'sample', type: Number, required: false, description: `events per second, 1..${MAX_TAIL_SAMPLE}` })
  @ApiOkResponse({
    description: 'event-stream; each data is a batch {t, seen, events}',
    content: { 'text/event-stream': {} },
  })
  tail(@Query('sample') sample?: string): Observable<MessageEvent> {
    const size = sample === undefined || sample === '' ? 10 : Number(sample);
    if (!Number.isInteger(size) || size < 1 || size > MAX_TAIL_SAMPLE)
      throw new BadRequestException(`sample must be an integer between 1 and ${MAX_TAIL_SAMPLE}`);
    return this.backend.tail(size).pipe(map((batch) => ({ type: 'tail', data: batch })));
  }
}
