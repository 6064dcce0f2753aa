import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { MaintenanceJobs } from '@distributary/changelog';
import {
  maintenanceJobsOf,
  sinkRunnerOf,
  startSinkWorkerParts,
  stopSinkWorkerParts,
  type SinkRunner,
  type SinkWorkerOptions,
} from '@distributary/worker';

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
    await startSinkWorkerParts(this.parts());
  }

  async onApplicationShutdown(): Promise<void> {
    await stopSinkWorkerParts(this.parts());
  }

  private parts() {
    return { options: this.options, runner: this.runner, maintenance: this.maintenance };
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
          useFactory: sinkRunnerOf,
          inject: [SINK_WORKER_OPTIONS],
        },
        {
          provide: MAINTENANCE_JOBS,
          useFactory: maintenanceJobsOf,
          inject: [SINK_WORKER_OPTIONS, SINK_RUNNER],
        },
        SinkWorkerLifecycle,
      ],
      exports: [SINK_RUNNER, MAINTENANCE_JOBS],
    };
  }
}
