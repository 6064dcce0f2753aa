import { describe, expect, it } from 'vitest';
import { RedisMonitor, redisUrl } from '@distributary/testkit';
import { batch, cacheSuite, ev, targets } from './harness';

/**
 * One round trip per event: apply-event.lua reads the row record itself. A second one (the record
 * read first) only for a row whose record names a place the event does not: a row that moved to
 * another group in an update without `before`, or a delete of a grouped row that carries only its key. Counted with MONITOR on the single Redis: every
 * command naming this test's unique key prefix.
 */
function commandOf(name: string): string {
  const command = String(name).toLowerCase();
  return command === 'eval' || command === 'evalsha' ? 'script' : command;
}

describe('redis cache sink: round trips per event', () => {
  const suite = cacheSuite(targets[0]);

  it('costs one script call per event; a row that moved without `before` costs one read more', async () => {
    const { prefix, open, get, group, client } = suite;
    const sink = await open({ queries: [{ key: `${prefix}:category:{category_id}:products`, member: '{id}' }] });
    const seen: string[] = [];
    // commands a script runs show up too, with the source "lua": only the client's own count. A script
    // call is EVAL the first time on a connection and EVALSHA after (ioredis defineCommand): one round trip.
    const monitor = await RedisMonitor.start(redisUrl(), ({ command, fromLua, line }) => {
      if (!fromLua && line.includes(prefix)) seen.push(commandOf(command));
    });
    const counted = async (events: Parameters<typeof batch>[0]): Promise<string[]> => {
      seen.length = 0;
      const result = await sink.apply(batch(events));
      expect(result.rejected).toEqual([]);
      await client.ping(); // MONITOR lines arrive in server order: the ping's reply follows them
      await new Promise((resolve) => setTimeout(resolve, 100));
      return [...seen];
    };
    try {
      expect(await counted([ev('c', 100, { id: 1, category_id: 1 })])).toEqual(['script']);
      expect(await counted([ev('u', 200, { id: 1, category_id: 1, name: 'x' })])).toEqual(['script']);
      const moved = await counted([ev('u', 300, { id: 1, category_id: 2 })]);
      expect(moved.filter((c) => c === 'script')).toHaveLength(2);
      expect(moved.filter((c) => c === 'hgetall')).toHaveLength(1);
      // a delete with the old row (REPLICA IDENTITY FULL) names its group: one round trip
      expect(await counted([ev('d', 400, { id: 1 }, { before: { id: 1, category_id: 2 } })])).toEqual(['script']);
      expect(await get(1)).toBeNull();
      expect(await client.smembers(group(2))).toEqual([]);
      // a delete with only the key: the group is known from the record alone, read first
      await counted([ev('c', 500, { id: 2, category_id: 1 })]);
      expect(await counted([ev('d', 600, { id: 2 })])).toEqual(['script', 'hgetall', 'script']);
      expect(await client.smembers(group(1))).toEqual([]);
    } finally {
      monitor.close();
    }
  });
});
