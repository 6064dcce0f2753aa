import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { DistributaryConfig } from '@distributary/config';
import { ADMIN_SETTINGS, type AdminOptions, resolveAdminSettings } from './admin-settings';
import { DeadLettersController } from './api/dead-letters.controller';
import { ErrorsFilter } from './api/errors.filter';
import { EventsController } from './api/events.controller';
import { HealthController } from './api/health.controller';
import { CompactionController, SnapshotsController } from './api/jobs.controller';
import { SinksController } from './api/sinks.controller';
import { StatusController } from './api/status.controller';
import { VerifyController } from './api/verify.controller';
import { AuditController } from './api/audit.controller';
import { AuthGuard } from './auth/auth.guard';
import { Authenticator } from './auth/authenticator';
import { FailureLimiter } from './auth/failure-limiter';
import { TokenStore } from './auth/token-store';
import { AuditLog } from './backend/audit-log';
import { CompactionAdmin } from './backend/compaction-admin';
import { DeadLetterAdmin } from './backend/dead-letter-admin';
import { AdminHealthChecks } from './backend/health-checks';
import { LiveTail } from './backend/live-tail';
import { MetricsHistory } from './backend/metrics-history';
import { MetricsSampler } from './backend/metrics-sampler';
import { PipelineConnections } from './backend/pipeline-connections';
import { PipelineStatus } from './backend/pipeline-status';
import { SinkControls } from './backend/sink-controls';
import { SnapshotAdmin } from './backend/snapshot-admin';
import { VerificationBackend } from './backend/verification';

/** The admin API as a Nest module, built from a validated config (+ optional in-process runtime). */
@Module({})
export class AdminModule {
  static forConfig(config: DistributaryConfig, options: AdminOptions = {}): DynamicModule {
    const settings = resolveAdminSettings(config, options);
    const tokens = new TokenStore(settings.tokens);
    return {
      module: AdminModule,
      controllers: [
        HealthController,
        StatusController,
        SinksController,
        DeadLettersController,
        CompactionController,
        SnapshotsController,
        EventsController,
        VerifyController,
        AuditController,
      ],
      providers: [
        { provide: ADMIN_SETTINGS, useValue: settings },
        { provide: TokenStore, useValue: tokens },
        { provide: Authenticator, useValue: new Authenticator(tokens, new FailureLimiter(settings.tokenFailures)) },
        AuditLog,
        // The pipeline's state, one job each: connections, status, live numbers, health, controls.
        PipelineConnections,
        PipelineStatus,
        MetricsHistory,
        MetricsSampler,
        AdminHealthChecks,
        LiveTail,
        SinkControls,
        DeadLetterAdmin,
        CompactionAdmin,
        SnapshotAdmin,
        VerificationBackend,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ErrorsFilter },
      ],
      exports: [PipelineStatus, VerificationBackend, ADMIN_SETTINGS, TokenStore, Authenticator, AuditLog],
    };
  }
}
