import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { health, metricsContentType, metricsText } from '@distributary/observability';
import { Public } from '../auth/public.decorator';
import { isUnavailable } from './unavailable';
import { AdminHealthChecks } from '../backend/health-checks';

/** Public, unauthenticated: liveness, readiness (real dependencies: log Redis, source Postgres) and
 *  the Prometheus registry. */
@ApiExcludeController()
@Public()
@Controller()
export class HealthController {
  // Injected so that the readiness checks are registered before the first probe.
  constructor(@Inject(AdminHealthChecks) private readonly checks: AdminHealthChecks) {}

  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Public, so a check that failed because its dependency cannot be reached says "unreachable":
   *  the driver's message (hosts, ports) stays out of the answer. Our own reasons (degraded) stay. */
  @Get('health/ready')
  async ready(): Promise<unknown> {
    const report = await health.report();
    const checks = Object.fromEntries(
      Object.entries(report.checks).map(([name, check]) => [
        name,
        check.ok || !check.error || !isUnavailable(check.error) ? check : { ...check, error: 'unreachable' },
      ]),
    );
    const shown = { ...report, checks };
    if (report.status === 'failing') throw new ServiceUnavailableException(shown);
    return shown;
  }

  @Get('metrics')
  async metrics(@Res() response: ServerResponse): Promise<void> {
    // In `run`, the metrics of every role's process (process-group.ts), labelled by role.
    const body = await metricsText();
    response.statusCode = 200;
    response.setHeader('Content-Type', metricsContentType);
    response.end(body);
  }
}
