import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { MaintenanceJobs } from '@distributary/changelog';
import { createLogger } from '@distributary/observability';
import { SinkRunner, type SinkWorkerOptions } from '@distributary/worker';

export const SINK_WORKER_OPTIONS = Symbol('SINK_WORKER_OPTIONS');
export const SINK_RUNNER = Symbol('SINK_RUNNER');
export const MAINTENANCE_JOBS = Symbol('MAINTENANCE_JOBS');

export type SinkWorkerModuleConfig = SinkWorkerOptions | (() => SinkWorkerOptions | Promise<SinkWorkerOptions>);

/** Starts the runner (and the maintenance job processor) with the app, stops them gracefully with it. */
@Injectable()
export class SinkWorkerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(SINK_RUNNER) private readonly runner: SinkRunner,
    @Inject(MAINTENANCE_JOBS) private readonly maintenance: MaintenanceJobs | null,
    @Inject(SINK_WORKER_OPTIONS) private readonly options: SinkWorkerOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.runner.start();
    } catch (error) {
      // the worker does not start (the runner logged why): let go of its connections so the process ends
      await this.maintenance?.close().catch(() => undefined);
      this.options.redis.disconnect();
      throw error;
    }
    if (this.maintenance && this.options.maintenance) {
      await this.maintenance.schedule(this.options.maintenance.everyMs);
      this.maintenance.startWorker();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.maintenance?.close();
    await this.runner.stop();
    this.options.redis.disconnect();
  }
}

@Module({})
export class SinkWorkerModule {
  /** The worker for the given options (or a factory of them, e.g. from sinkWorkerOptionsFromConfig). */
  static forSinks(config: SinkWorkerModuleConfig): DynamicModule {
    return {
      module: SinkWorkerModule,
      providers: [
        {
          provide: SINK_WORKER_OPTIONS,
          useFactory: async () => (typeof config === 'function' ? await config() : config),
        },
        {
          provide: SINK_RUNNER,
          useFactory: (options: SinkWorkerOptions) =>
            new SinkRunner({ ...options, logger: options.logger ?? createLogger('sink-worker') }),
          inject: [SINK_WORKER_OPTIONS],
        },
        {
          provide: MAINTENANCE_JOBS,
          useFactory: (options: SinkWorkerOptions, runner: SinkRunner) =>
            options.maintenance
              ? new MaintenanceJobs({
                  redis: options.redis,
                  keys: runner.keys,
                  partitions: options.partitions,
                  policy: options.maintenance.policy,
                  sinks: () => runner.sinkNames(),
                  logger: options.logger ?? createLogger('log-maintenance'),
                })
              : null,
          inject: [SINK_WORKER_OPTIONS, SINK_RUNNER],
        },
        SinkWorkerLifecycle,
      ],
      exports: [SINK_RUNNER, MAINTENANCE_JOBS],
    };
  }
}
