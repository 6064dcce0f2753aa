import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeEvent, partitionFor, positionToId, type ChangeEvent, type Row } from '@distributary/core';
import { clusterNodes, redisUrl, uniqueName } from '@distributary/testkit';
import { LogKeys, acquireLease, connectRedis, type RedisClient } from '@distributary/changelog';
import { commitPosition } from './positions';
import { readAll, readPartition } from './reader';
import { compactPartition } from './compaction';

const PARTITIONS = 3;
const TABLES = ['public.a', 'public.b'];
const SINK = 'tracked';

type Command =
  | { kind: 'write'; op: 'c' | 'u' | 'd'; table: string; key: number }
  | { kind: 'truncate'; table: string }
  | { kind: 'compact'; partition: number }
  | { kind: 'consume'; partition: number; count: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      op: fc.constantFrom('c' as const, 'u' as const, 'd' as const),
      table: fc.constantFrom(...TABLES),
      key: fc.integer({ min: 0, max: 5 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), table: fc.constantFrom(...TABLES) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('compact' as const),
      partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('consume' as const),
      partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
      count: fc.integer({ min: 1, max: 6 }),
    }),
  },
);

type State = Map<string, Row>; // `${table}|${id}` -> row

function applyEvent(state: State, event: ChangeEvent): void {
  if (event.op === 't') {
    for (const k of [...state.keys()]) if (k.startsWith(`${event.table}|`)) state.delete(k);
  } else if (event.op === 'd') state.delete(`${event.table}|${String(event.key.id)}`);
  else state.set(`${event.table}|${String(event.key.id)}`, event.after as Row);
}

const targets: Record<string, () => RedisClient> = {
  'single Redis': () => connectRedis({ url: redisUrl() }),
  'Redis Cluster': () => connectRedis({ cluster: clusterNodes().map((n) => `redis://${n.host}:${n.port}`) }),
};

describe.each(Object.entries(targets))('compaction on %s (property)', (_name, connect) => {
  const redis = connect();
  const base = uniqueName('cmp');
  afterAll(() => redis.disconnect());

  it('replay from the start equals the source; a caught-up consumer or one with a committed position sees every event', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 40 }), fc.boolean(), async (commands, tracked) => {
        const keys = new LogKeys(`${base}r${run++}`);
        try {
          const source: State = new Map();
          const appended: ChangeEvent[][] = Array.from({ length: PARTITIONS }, () => []);
          const seen: ChangeEvent[][] = Array.from({ length: PARTITIONS }, () => []);
          const cursor: string[] = Array.from({ length: PARTITIONS }, () => '0-0');
          const tokens: number[] = [];
          for (let p = 0; p < PARTITIONS; p++)
            tokens.push((await acquireLease(redis, keys, SINK, p, 'consumer', 60_000))!);
          let lsn = 100n;
          let version = 0;

          const consume = async (p: number, count: number): Promise<void> => {
            const entries = await readPartition(redis, keys, p, cursor[p], { count });
            if (entries.length === 0) return;
            seen[p].push(...entries.map((e) => e.event));
            cursor[p] = entries[entries.length - 1].id;
            if (tracked) await commitPosition(redis, keys, SINK, p, cursor[p], tokens[p]);
          };

          for (const cmd of commands) {
            if (cmd.kind === 'write' || cmd.kind === 'truncate') {
              lsn += 16n;
              const event: ChangeEvent =
                cmd.kind === 'truncate'
                  ? { pos: { lsn, seq: 0 }, op: 't', table: cmd.table, key: {} }
                  : {
                      pos: { lsn, seq: 0 },
                      op: cmd.op === 'c' && source.has(`${cmd.table}|${cmd.key}`) ? 'u' : cmd.op,
                      table: cmd.table,
                      key: { id: String(cmd.key) },
                      ...(cmd.op === 'd' ? {} : { after: { id: String(cmd.key), v: String(++version) } }),
                    };
              applyEvent(source, event);
              const encoded = encodeEvent(event);
              const targets =
                event.op === 't' ? [...Array(PARTITIONS).keys()] : [partitionFor(event.table, event.key, PARTITIONS)];
              for (const p of targets) {
                await redis.xadd(keys.partition(p), encoded.id, ...Object.entries(encoded.fields).flat());
                appended[p].push(event);
              }
            } else if (cmd.kind === 'compact') {
              // tracked: the consumer's committed position bounds compaction, it may lag behind at will;
              // untracked (pure Kafka semantics): the consumer is caught up when compaction runs
              if (!tracked) await consume(cmd.partition, 10_000);
              await compactPartition(
                redis,
                keys,
                cmd.partition,
                { minLag: 0, tombstones: 0 },
                { sinks: tracked ? [SINK] : [] },
              );
            } else {
              await consume(cmd.partition, cmd.count);
            }
          }

          // a consumer that stays registered (committed positions) sees every event, in order
          for (let p = 0; p < PARTITIONS; p++) {
            await consume(p, 10_000);
            expect(seen[p].map((e) => positionToId(e.pos))).toEqual(appended[p].map((e) => positionToId(e.pos)));
          }
          // a consumer reading the compacted log from the start ends with exactly the source state
          // (a truncate is in every partition and ends the keys of that partition)
          const replayed: State = new Map();
          for (let p = 0; p < PARTITIONS; p++) {
            const partitionState: State = new Map();
            for await (const page of readAll(redis, keys, p))
              for (const entry of page) applyEvent(partitionState, entry.event);
            for (const [k, row] of partitionState) replayed.set(k, row);
          }
          expect(new Map([...replayed].sort())).toEqual(new Map([...source].sort()));

          // once everyone is caught up, a pass leaves exactly one entry per live key and no tombstones
          for (let p = 0; p < PARTITIONS; p++) {
            await compactPartition(redis, keys, p, { minLag: 0, tombstones: 0 }, { sinks: tracked ? [SINK] : [] });
            const left: ChangeEvent[] = [];
            for await (const page of readAll(redis, keys, p)) left.push(...page.map((e) => e.event));
            expect(left.filter((e) => e.op === 'd' || e.op === 't')).toEqual([]);
            const liveHere = [...source.keys()].filter((k) => {
              const [table, id] = k.split('|');
              return partitionFor(table, { id }, PARTITIONS) === p;
            });
            expect(left.map((e) => `${e.table}|${String(e.key.id)}`).sort()).toEqual(liveHere.sort());
          }
        } finally {
          for (let p = 0; p < PARTITIONS; p++) {
            for (const key of [
              keys.partition(p),
              keys.positions(p),
              keys.fences(p),
              keys.lease(p, SINK),
              keys.clock(p),
            ]) {
              await redis.del(key);
            }
          }
        }
      }),
      { numRuns: 20 },
    );
  });
});
