import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLsn } from '@distributary/core';
import {
  ChangeLog,
  LogAppender,
  LogKeys,
  connectRedis,
  decodeTxMarker,
  type RedisClient,
} from '@distributary/changelog';
import { silentLogger } from '@distributary/observability';
import { createTestDatabase, redisUrl, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';
import { TypeResolver } from '@distributary/pg-catalog';
import { ReplicationSession } from './replication-session';
import { RowCache } from './row-cache';
import { WalStream } from './wal-stream';

/**
 * Memory stays bounded whatever the transaction size: one transaction far larger than the byte bound
 * streams through a real slot into the real log Redis, and the bytes batched or in flight never exceed
 * the bound by more than what one socket read delivers after the pause. Rows big enough that a batch
 * of BATCH events holds more than the bound (the case that once waited forever for a full batch).
 */
const PARTITIONS = 4;
const ROWS = 20_000;
const MAX_IN_FLIGHT = 128 * 1024;
const BATCH = 500;
let db: TestDatabase;
let redis: RedisClient;
const keys = new LogKeys(uniqueName('bp'));
const slot = uniqueName('bp_slot');

function fieldsOf(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
}

beforeAll(async () => {
  db = await createTestDatabase('backpressure');
  redis = connectRedis({ url: redisUrl() });
  await db.sql(`CREATE TABLE big (id int PRIMARY KEY, body text)`);
  await db.sql(`CREATE PUBLICATION bp FOR TABLE big`);
  await db.sql(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
});

afterAll(async () => {
  const all = [keys.transactions(), ...Array.from({ length: PARTITIONS }, (_, p) => keys.partition(p))];
  await redis.del(...all);
  redis.disconnect();
  await db.drop();
});

describe('replication session back-pressure', () => {
  it('holds at most the byte bound (plus one socket read) through a transaction far larger', async () => {
    // ~20,000 rows of ~300 B: about 10 MiB of encoded entries, 80× the bound.
    await db.sql(`INSERT INTO big SELECT g, rpad(md5(g::text), 280, 'x') FROM generate_series(1, ${ROWS}) AS g`);
    const pool = new Pool({ connectionString: db.url, max: 2 });
    let confirmed = 0n;
    const session = new ReplicationSession(
      {
        batchSize: BATCH,
        toastScan: 0,
        startLsn: 0n,
        holdBackMs: 0,
        maxInFlightBytes: MAX_IN_FLIGHT,
      },
      {
        log: new ChangeLog(redis, keys, PARTITIONS),
        appender: new LogAppender(redis, keys, PARTITIONS),
        pool,
        types: new TypeResolver(pool),
        primaryKeyOf: () => Promise.resolve(['id']),
        rowCache: new RowCache(1000),
        logger: silentLogger,
        openStream: (handlers) => new WalStream({ url: db.url, slot, publication: 'bp' }, handlers),
        onConfirmed: (at) => {
          confirmed = at;
        },
      },
    );
    const running = session.run();
    try {
      // Every event and the commit marker in the log, and the commit confirmed.
      const commit = await waitFor(
        'the transaction in the log',
        async () => {
          const markers = (await redis.xrange(keys.transactions(), '-', '+')) as [string, string[]][];
          const marker = markers.map(([, fields]) => decodeTxMarker(fieldsOf(fields))).find((m) => m.kind === 'commit');
          return marker ? parseLsn(marker.commitLsn) : undefined;
        },
        { timeoutMs: 240_000 },
      );
      await waitFor('the commit confirmed', async () => confirmed > commit, { timeoutMs: 60_000 });
      let logged = 0;
      for (let p = 0; p < PARTITIONS; p++) logged += await redis.xlen(keys.partition(p));
      expect(logged).toBe(ROWS);
      const flow = session.flowStats;
      // Paused above the bound; what one socket read (64 KiB of WAL, ~200 events of ~450 B encoded)
      // delivers after the pause is the only overshoot. The transaction encoded is ~9 MiB.
      const oneSocketRead = 256 * 1024;
      expect(flow.pauses).toBeGreaterThan(0);
      expect(flow.peakBytes).toBeGreaterThan(MAX_IN_FLIGHT);
      expect(flow.peakBytes).toBeLessThanOrEqual(MAX_IN_FLIGHT + oneSocketRead);
    } finally {
      await session.stop();
      await running.catch(() => undefined);
      await pool.end();
    }
  }, 300_000);
});
