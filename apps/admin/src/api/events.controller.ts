import { Controller, ForbiddenException, Inject, type MessageEvent, Query, Req, Sse } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiCookieAuth } from '@nestjs/swagger';
import { map, type Observable } from 'rxjs';
import { LiveTail } from '../backend/live-tail';
import { MetricsHistory } from '../backend/metrics-history';
import { queryFlag, queryInt } from './params';
import { GuardedRoutes } from './api-docs';

/** The most events a live-tail batch carries per interval. */
export const MAX_TAIL_SAMPLE = 50;

/** Server-sent events. EventSource cannot send headers, so these (and the API docs, nothing else)
 *  accept the `distributary_token` cookie the dashboard sets at login (GET only) as well as the bearer header. */
@GuardedRoutes('events', ApiCookieAuth('distributary_token'))
@Controller('api/events')
export class EventsController {
  constructor(
    @Inject(MetricsHistory) private readonly history: MetricsHistory,
    @Inject(LiveTail) private readonly live: LiveTail,
  ) {}

  @Sse('metrics')
  @ApiOperation({ summary: 'Live numbers every second (text/event-stream of metrics samples)' })
  @ApiOkResponse({ description: 'event-stream; each data is a metrics sample', content: { 'text/event-stream': {} } })
  metrics(): Observable<MessageEvent> {
    return this.history.stream().pipe(map((sample) => ({ type: 'sample', data: sample })));
  }

  @Sse('tail')
  @ApiOperation({ summary: 'A sampled live tail of change events, read from the partitions’ ends' })
  @ApiQuery({ name: 'sample', type: Number, required: false, description: `events per second, 1..${MAX_TAIL_SAMPLE}` })
  @ApiOkResponse({
    description: 'event-stream; each data is a batch {t, seen, events}',
    content: { 'text/event-stream': {} },
  })
  @ApiQuery({ name: 'full', type: Number, required: false, description: '1: whole keys, not previews (operator)' })
  tail(
    @Query('sample') sample: unknown,
    @Query('full') full: unknown,
    @Req() request: { adminRole?: string },
  ): Observable<MessageEvent> {
    const size = queryInt(sample, 'sample', 10, 1, MAX_TAIL_SAMPLE);
    const whole = queryFlag(full, 'full');
    if (whole && request.adminRole !== 'operator')
      throw new ForbiddenException('full=1 (whole values) needs an operator token; viewers get previews');
    return this.live.tail(size, whole).pipe(map((batch) => ({ type: 'tail', data: batch })));
  }
}
