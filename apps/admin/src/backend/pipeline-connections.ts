import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { ChangeLog, connectRedis, LogKeys, type RedisClient } from '@distributary/changelog';
import type { DistributaryConfig } from '@distributary/config';
import { createLogger } from '@distributary/observability';
import { ADMIN_SETTINGS, type AdminSettings } from '../admin-settings';

/**
 * The admin app's connections to the pipeline's state: the log Redis (read through the documented key
 * layout, libs/changelog keys.ts) and the source Postgres (pg_replication_slots). Every admin piece
 * shares them; they close last, after the pieces stopped using them (application shutdown).
 */
@Injectable()
export class PipelineConnections implements OnApplicationShutdown {
  readonly keys: LogKeys;
  readonly partitionCount: number;
  readonly redis: RedisClient;
  /** The change log through its front door (same client and keys as above). */
  readonly log: ChangeLog;
  readonly pool: Pool;
  private readonly logger = createLogger('admin');

  constructor(@Inject(ADMIN_SETTINGS) readonly settings: AdminSettings) {
    const cfg = settings.config;
    this.keys = new LogKeys(cfg.log.namespace);
    this.partitionCount = cfg.log.partitions;
    this.redis = connectRedis(cfg.log.redis, { maxRetriesPerRequest: 2, lazyConnect: false });
    this.redis.on('error', (error: Error) => this.logger.debug({ err: error }, 'log redis connection error'));
    this.log = new ChangeLog(this.redis, this.keys, this.partitionCount);
    this.pool = new Pool({ connectionString: cfg.source.postgres.url, max: 3, connectionTimeoutMillis: 3000 });
    this.pool.on('error', (error) => this.logger.debug({ err: error }, 'source postgres pool error'));
  }

  get config(): DistributaryConfig {
    return this.settings.config;
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
    await this.pool.end();
  }
}
