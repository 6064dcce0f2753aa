import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DistributaryConfig } from '@distributary/config';
import { Connector } from '@distributary/connector';
import { createLogger } from '@distributary/observability';

export const CONNECTOR_CONFIG = Symbol('CONNECTOR_CONFIG');

/** Wraps the plain Connector for Nest: starts it on bootstrap, stops it gracefully on shutdown. */
@Injectable()
export class ConnectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly connector: Connector;
  private runPromise: Promise<void> | null = null;

  constructor(@Inject(CONNECTOR_CONFIG) config: DistributaryConfig) {
    this.connector = new Connector({ config, logger: createLogger('connector') });
  }

  onApplicationBootstrap(): void {
    this.runPromise = this.connector.run();
    // A fatal error is reported through done(); avoid an unhandled rejection meanwhile.
    this.runPromise.catch(() => undefined);
  }

  /** Resolves when the connector stopped; rejects on a fatal error (bad source shape, config). */
  done(): Promise<void> {
    return this.runPromise ?? this.connector.run();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connector.stop();
  }
}
