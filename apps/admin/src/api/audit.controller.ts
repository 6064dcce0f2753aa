import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import type { AuditPage } from '@distributary/admin-contract';
import { AuditLog } from '../backend/audit-log';
import { queryInt, queryText, streamId } from './params';
import { GuardedRoutes } from './api-docs';
import { auditPageSchema } from './schemas';

@GuardedRoutes('audit')
@Controller('api/audit')
export class AuditController {
  constructor(@Inject(AuditLog) private readonly audit: AuditLog) {}

  @Get()
  @ApiOperation({
    summary: 'The audit log of state-changing requests (who, what, when, outcome), newest first; read-only',
  })
  @ApiQuery({ name: 'before', type: String, required: false, description: 'id of the last (oldest) entry seen' })
  @ApiQuery({ name: 'limit', type: Number, required: false, description: '1..500, default 50' })
  @ApiOkResponse({ schema: auditPageSchema })
  list(@Query('before') before?: unknown, @Query('limit') limit?: unknown): Promise<AuditPage> {
    const after = queryText(before, 'before');
    return this.audit.list({
      before: after ? streamId(after, 'before') : undefined,
      limit: queryInt(limit, 'limit', 50, 1, 500),
    });
  }
}
