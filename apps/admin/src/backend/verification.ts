import {
  BadRequestException,
  Inject,
  Injectable,
  NotFoundException,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { connectRedis, LogKeys, type RedisClient } from '@distributary/changelog';
import { parseLsn, type Lsn } from '@distributary/core';
import { createRawTextPool } from '@distributary/pg-catalog';
import { createLogger } from '@distributary/observability';
import {
  VerifyJobs,
  readVerifyResults,
  slotConfirmedLsn,
  syncPoint,
  waitForSink,
  type SinkWaitResult,
  type StoredVerifyResult,
  type VerifyJobData,
} from '@distributary/verify';
import type { Pool } from 'pg';
import { ADMIN_SETTINGS, type AdminSettings } from '../admin-settings';
import { slotWaitReason } from './slot-lag';

/**
 * Verification and read-your-writes for the admin API. The admin process also runs the verification
 * jobs (BullMQ worker; the repeatable scheduler when `verify.every` > 0), so on-demand runs work
 * whether or not verification is scheduled.
 */
@Injectable()
export class VerificationBackend implements OnModuleInit, OnModuleDestroy {
  private readonly logger = createLogger('admin');
  private readonly keys: LogKeys;
  private readonly redis: RedisClient;
  private readonly jobsRedis: RedisClient;
  private readonly pool: Pool;
  private readonly jobs: VerifyJobs;

  constructor(@Inject(ADMIN_SETTINGS) private readonly settings: AdminSettings) {
    const config = settings.config;
    this.keys = new LogKeys(config.log.namespace);
    this.redis = connectRedis(config.log.redis, { maxRetriesPerRequest: 2 });
    this.redis.on('error', (error: Error) => this.logger.debug({ err: error }, 'log redis connection error'));
    this.jobsRedis = connectRedis(config.log.redis, { maxRetriesPerRequest: null });
    this.jobsRedis.on('error', (error: Error) => this.logger.debug({ err: error }, 'log redis connection error'));
    this.pool = createRawTextPool(config.source.postgres.url, { max: 2, connectionTimeoutMillis: 3000 });
    this.pool.on('error', (error) => this.logger.debug({ err: error }, 'source postgres pool error'));
    this.jobs = new VerifyJobs({ config, redis: this.jobsRedis, logger: this.logger });
  }

  async onModuleInit(): Promise<void> {
    this.jobs.startWorker();
    await this.jobs
      .schedule()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not schedule verification'));
  }

  async onModuleDestroy(): Promise<void> {
    await this.jobs.close();
    this.redis.disconnect();
    this.jobsRedis.disconnect();
    await this.pool.end();
  }

  private requireSink(name: string): void {
    if (!this.settings.config.sinks.some((s) => s.name === name))
      throw new NotFoundException(`no sink named "${name}"`);
  }

  results(): Promise<StoredVerifyResult[]> {
    return readVerifyResults(this.redis, this.keys);
  }

  async request(data: VerifyJobData): Promise<{ jobId: string; sinks: string[] }> {
    for (const name of data.sinks ?? []) this.requireSink(name);
    const job = await this.jobs.runNow(data);
    return {
      jobId: job.id ?? '',
      sinks: data.sinks?.length ? data.sinks : this.settings.config.sinks.map((s) => s.name),
    };
  }

  /** Read-your-writes: returns once `sink` has applied everything below `lsnText`, or on timeout. */
  async waitFor(
    sink: string,
    lsnText: string | undefined,
    timeoutText: string | undefined,
  ): Promise<SinkWaitResult & { why?: string }> {
    this.requireSink(sink);
    let lsn: Lsn;
    try {
      lsn = parseLsn(lsnText ?? '');
    } catch {
      throw new BadRequestException(`lsn: expected an LSN like 0/16B3748, got "${lsnText ?? ''}"`);
    }
    const timeoutMs = timeoutText === undefined || timeoutText === '' ? 5000 : Number(timeoutText);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 120_000)
      throw new BadRequestException('timeoutMs: expected a whole number of milliseconds between 0 and 120000');
    // A quiet source gives the connector nothing past L to confirm: write a sync message after L.
    await syncPoint(this.pool);
    const config = this.settings.config;
    const result = await waitForSink(this.redis, this.keys, sink, config.log.partitions, lsn, {
      timeoutMs,
      sourceConfirmed: slotConfirmedLsn(this.pool, config.source.postgres.slot),
    });
    if (!result.timedOut) return result;
    // Timed out: say so when the reason is the slot (lost, missing, re-syncing), not just "not yet".
    const why = await slotWaitReason(this.pool, this.redis, this.keys, config).catch(() => undefined);
    return why ? { ...result, why } : result;
  }
}
