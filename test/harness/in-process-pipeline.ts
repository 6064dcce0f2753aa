/**
 * Test support shared by the in-process pipelines (libs/verify/test/pipeline.ts, the fidelity suite):
 * the connector (WAL → log) and a sink worker running in this process over a parsed config, its
 * config file for the CLI, waiting until the connector streams from its slot, restarts, and removal of
 * everything the run created (log and cache keys under the name, the versioned indexes, the database).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import type { DistributaryConfig } from '@distributary/config';
import type { Sink } from '@distributary/core';
import { LogKeys, connectRedis, type RedisClient } from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { Connector } from '@distributary/connector';
import { scanKeys } from '@distributary/sink-redis-cache';
import { SinkRunner } from '@distributary/worker';
import { esUrl, redisUrl, waitFor, type TestDatabase, slotStreaming } from '@distributary/testkit';

/** The change log as the worker's rebuild-on-open reads it. */
export interface InProcessLog {
  redis: RedisClient;
  keys: LogKeys;
  partitions: number;
}

export interface InProcessPipelineSpec {
  db: TestDatabase;
  /** The unique name: log namespace, slot and the pattern of every key stop() removes. */
  name: string;
  config: DistributaryConfig;
  /** The Elasticsearch alias whose versioned indexes (`<alias>_v*`) stop() deletes. */
  alias: string;
  /** Prefix of the temporary directory holding the config file. */
  configDirPrefix: string;
  /** The worker's sinks, opened anew on each worker (re)start. */
  sinks(log: InProcessLog): Promise<readonly Sink[]>;
}

export interface InProcessPipeline {
  /** The configuration as a file, for the CLI (`distributary verify --config …`). */
  configFile: string;
  redis: RedisClient;
  keys: LogKeys;
  es: Client;
  /** The error the connector stopped with, if it did. */
  connectorError(): unknown;
  /** Stops the connector and starts a new one on the same slot and log. */
  restartConnector(): Promise<void>;
  /** Stops the sink worker and starts a new one (its sinks reopened). */
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the connector and the worker and resolves once the connector streams from its slot. */
export async function startInProcessPipeline(spec: InProcessPipelineSpec): Promise<InProcessPipeline> {
  const { db, name, config, alias } = spec;
  const partitions = config.log.partitions;
  const configFile = join(mkdtempSync(join(tmpdir(), spec.configDirPrefix)), 'distributary.yaml');
  writeFileSync(configFile, JSON.stringify(config, null, 2)); // JSON is YAML

  let failure: unknown;
  const run = (c: Connector): Promise<unknown> =>
    c.run().catch((error: unknown) => {
      failure = error;
    });
  let connector = new Connector({ config, logger: silentLogger });
  let running = run(connector);
  const runnerRedis = connectRedis({ url: redisUrl() });
  const log: InProcessLog = { redis: runnerRedis, keys: new LogKeys(name), partitions };
  const startRunner = async (): Promise<SinkRunner> => {
    const started = new SinkRunner({
      redis: runnerRedis,
      namespace: name,
      partitions,
      sinks: () => spec.sinks(log),
      blockMs: 100,
      statusEveryMs: 300,
      leaseTtlMs: 3000,
      memberTtlMs: 3000,
      backoff: { baseMs: 20, capMs: 500 },
      logger: silentLogger,
    });
    await started.start();
    return started;
  };
  let runner = await startRunner();
  const streaming = async (): Promise<unknown> =>
    waitFor('the connector to stream from its slot', async () => {
      return await slotStreaming(db, name);
    });
  await streaming();
  const redis = connectRedis({ url: redisUrl() });
  const es = new Client({ node: esUrl() });
  return {
    configFile,
    redis,
    keys: new LogKeys(name),
    es,
    connectorError: () => failure,
    async restartConnector() {
      await connector.stop();
      await running;
      connector = new Connector({ config, logger: silentLogger });
      running = run(connector);
      await streaming();
    },
    async restartWorker() {
      await runner.stop();
      runner = await startRunner();
    },
    async stop() {
      await runner.stop();
      await connector.stop();
      await running;
      runnerRedis.disconnect();
      const keys = await scanKeys(redis, `*${name}*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      await es.indices.delete({ index: `${alias}_v*` }).catch(() => undefined);
      await es.close();
      redis.disconnect();
      await db.drop();
    },
  };
}
