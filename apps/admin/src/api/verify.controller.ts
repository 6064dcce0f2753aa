import { Body, Controller, Get, Inject } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { z } from 'zod';
import { VerificationBackend } from '../backend/verification';
import { parseBody } from './body';
import { GuardedRoutes, OperatorPost } from './api-docs';
import { verifyResultsSchema } from './schemas';

const verifyBody = z.strictObject({
  sinks: z.array(z.string().min(1).max(200)).max(1000).optional(),
  repair: z.boolean().optional(),
  mode: z.enum(['full', 'sample']).optional(),
  sampleSize: z.number().int().min(1).max(10_000_000).optional(),
});

@GuardedRoutes('verify')
@Controller('api/verify')
export class VerifyController {
  constructor(@Inject(VerificationBackend) private readonly verification: VerificationBackend) {}

  @Get()
  @ApiOperation({
    summary: 'The last verification result per sink (counts of missing / extra / different keys, examples)',
  })
  @ApiOkResponse({ schema: verifyResultsSchema })
  results(): Promise<unknown> {
    return this.verification.results();
  }

  @OperatorPost(undefined, 'Queue a verification (and optionally a repair) of some or all sinks (operator)', 202)
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        sinks: { type: 'array', items: { type: 'string' } },
        repair: { type: 'boolean' },
        mode: { type: 'string', enum: ['full', 'sample'] },
        sampleSize: { type: 'integer', minimum: 1 },
      },
    },
  })
  run(@Body() body: unknown): Promise<unknown> {
    return this.verification.request(parseBody(verifyBody, body));
  }
}
