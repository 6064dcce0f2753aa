import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { health, registry } from '@distributary/observability';
import { Public } from '../auth/public.decorator';
import { AdminBackend } from '../backend/admin-backend';

/** Public, unauthenticated: liveness, readiness (real dependencies: log Redis, source Postgres) and
 *  the Prometheus registry. */
@ApiExcludeController()
@Public()
@Controller()
export class HealthController {
  // Injected so that the backend (which registers the readiness checks) exists before the first probe.
  constructor(@Inject(AdminBackend) private readonly backend: AdminBackend) {}

  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(): Promise<unknown> {
    const report = await health.report();
    if (report.status === 'failing') throw new ServiceUnavailableException(report);
    return report;
  }

  @Get('metrics')
  async metrics(@Res() response: ServerResponse): Promise<void> {
    const body = await registry.metrics();
    response.statusCode = 200;
    response.setHeader('Content-Type', registry.contentType);
    response.end(body);
  }
}
