/**
 * Transaction grouping when the commit marker is missing or arrives more than 1 s after the
 * entries (a transaction appended in several batches, a log written without markers): the
 * transaction still reaches a subscriber as one group — one commit LSN, the id on its last change
 * only. The log is written here with the real appender (LogAppender) (as a connector would, batch by batch, with
 * pauses between), on real Redis; the gateway's completion probe asks a real replication slot on
 * real PostgreSQL, which is advanced past the transaction only once all of it is in the log
 * (the connector's rule: it confirms only what is durably in the log).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalKey, partitionOfCanonicalKey, parseLsn, type ChangeEvent } from '@distributary/core';
import { LogAppender, connectRedis, LogKeys, type RedisClient, type TxMarkerInput } from '@distributary/changelog';
import { createTestDatabase, redisUrl, uniqueName, waitFor, type TestDatabase } from '@distributary/testkit';
import { Gateway, issueToken } from '../src';
import { KEY } from './gateway-pipeline';
import { SseClient, isChange, type SseEvent } from './sse-client';

const TABLE = 'public.items';
let db: TestDatabase;
let redis: RedisClient;
let gateway: Gateway;
let appender: LogAppender;
let url: string;
let slot: string;
let namespace: string;

/** Ids whose keys live in partition 0 and in partition 1. */
const inPartition: number[][] = [[], []];
for (let id = 1; inPartition[0].length < 2 || inPartition[1].length < 2; id++)
  inPartition[partitionOfCanonicalKey(canonicalKey(TABLE, { id }), 2)].push(id);

beforeAll(async () => {
  db = await createTestDatabase('gwmarker');
  await db.sql('CREATE TABLE items (id int PRIMARY KEY, v text)');
  slot = uniqueName('gwmarker').replace(/-/g, '_');
  await db.sql(`SELECT pg_create_logical_replication_slot($1, 'test_decoding')`, [slot]);
  namespace = uniqueName('gwmarker');
  redis = connectRedis({ url: redisUrl() });
  appender = new LogAppender(redis, new LogKeys(namespace), 2);
  await appender.ensurePartitionCount();
  gateway = new Gateway({
    gateway: {
      port: 0,
      host: '127.0.0.1',
      keys: [KEY],
      heartbeat: 15_000,
      afterTimeout: 30_000,
      maxBufferBytes: 1_048_576,
    },
    subscriptions: [{ name: 'all-items', table: TABLE, params: [] }],
    redis,
    namespace,
    partitions: 2,
    sourceUrl: db.url,
    port: 0,
    slot,
  });
  url = `http://127.0.0.1:${await gateway.start()}`;
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  const keys = (await redis.keys(`*${namespace}*`)) as string[];
  for (const key of keys) await redis.del(key);
  redis?.disconnect();
  await db?.sql('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
  await db?.drop();
}, 60_000);

const open = async () =>
  SseClient.open(`${url}/v1/subscriptions/all-items`, {
    authorization: `Bearer ${await issueToken({ subscription: 'all-items', params: {}, ttlSeconds: 600, key: KEY })}`,
  });

const currentLsn = async () => parseLsn((await db.sql('SELECT pg_current_wal_lsn()::text AS l'))[0].l as string);

function event(lsn: bigint, seq: number, id: number, xid: number): ChangeEvent {
  return {
    pos: { lsn, seq },
    op: 'c',
    table: TABLE,
    key: { id },
    after: { id, v: `tx ${lsn}` },
    xid,
    commitTs: new Date().toISOString(),
  } as ChangeEvent;
}
const commit = (lsn: bigint, xid: number, events: number): TxMarkerInput => ({
  commitLsn: lsn,
  marker: { kind: 'commit', xid, events },
});

/** The changes of the first transaction after `from`: all must share one LSN, the id on the last only. */
async function firstTransaction(client: SseClient, from: number, size: number): Promise<SseEvent[]> {
  return waitFor('a transaction', async () => {
    const changes = client.events.slice(from).filter(isChange);
    const end = changes.findIndex((e) => e.id !== undefined);
    return end >= 0 && changes.length >= size ? changes.slice(0, end + 1) : undefined;
  });
}

/** A transaction id not yet visible to any snapshot a subscriber takes now (so its entries are applied). */
const futureXid = async () =>
  Number((await db.sql('SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 100000 AS x'))[0].x);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('transaction grouping without a timely commit marker', () => {
  it('a marker arriving 1.5 s after the first batch: one group', async () => {
    const client = await open();
    const from = (await client.waitForEvent('ready')) + 1;
    const lsn = (await currentLsn()) + 1_000_000n; // not confirmed by the slot
    const xid = await futureXid();
    await appender.append([event(lsn, 0, inPartition[0][0], xid)]);
    await pause(1500);
    await appender.append([event(lsn, 1, inPartition[1][0], xid)], [commit(lsn, xid, 2)]);
    const tx = await firstTransaction(client, from, 2);
    expect(tx.length).toBe(2);
    expect(tx[0].id).toBeUndefined();
    expect(new Set(tx.map((e) => (JSON.parse(e.data) as { lsn: string }).lsn)).size).toBe(1);
    client.close();
  });

  it('no marker at all, the second partition 1.5 s later: one group once the slot confirms it', async () => {
    const client = await open();
    const from = (await client.waitForEvent('ready')) + 1;
    const before = client.events.length;
    const lsn = (await currentLsn()) + 2_000_000n;
    const xid = await futureXid();
    await appender.append([event(lsn, 0, inPartition[0][1], xid)]);
    await pause(1500);
    expect(client.events.length).toBe(before); // not released alone after the 1 s wait
    await appender.append([event(lsn, 1, inPartition[1][1], xid)]);
    // The whole transaction is in the log: the connector would now confirm it. Write WAL past it
    // and advance the slot there.
    await waitFor('WAL past the transaction', async () => {
      await db.sql(`SELECT pg_logical_emit_message(false, 'gw-test', repeat('x', 100000))`);
      return (await currentLsn()) > lsn || undefined;
    });
    await db.sql('SELECT pg_replication_slot_advance($1, pg_current_wal_lsn())', [slot]);
    const tx = await firstTransaction(client, from, 2);
    expect(tx.map((e) => (JSON.parse(e.data) as { key: { id: number } }).key.id).sort((a, b) => a - b)).toEqual(
      [inPartition[0][1], inPartition[1][1]].sort((a, b) => a - b),
    );
    expect(tx[0].id).toBeUndefined();
    client.close();
  });
});
