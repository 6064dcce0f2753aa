/**
 * The initial state joined with the log by xid visibility, made deterministic by holding the log
 * back: with the connector stopped, committed writes are in the table (visible in the gateway's
 * snapshot) but not yet in the log; a transaction held open during the subscription is in the
 * snapshot's in-progress list. When the connector resumes, the committed writes reach the gateway
 * after the subscriber's read vector: they must be skipped (already in the rows), while the open
 * transaction's change must arrive as a change.
 */
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../src';
import { KEY, startGatewayPipeline, SUBSCRIPTION, type GatewayPipeline } from './gateway-pipeline';
import { isChange, Materialized, SseClient } from './sse-client';

let p: GatewayPipeline;
beforeAll(async () => {
  p = await startGatewayPipeline();
}, 120_000);
afterAll(async () => p?.stop(), 180_000);

describe('initial state joined with the log', () => {
  it('skips entries already in the snapshot and applies the ones it did not see', async () => {
    await p.db.sql(`INSERT INTO items VALUES (1, 7, 'one', 1, NULL), (2, 7, 'two', 2, NULL), (3, 8, 'three', 3, NULL)`);
    // A subscriber that is live before the pause: it proves when the log has caught up.
    const token = await issueToken({
      subscription: SUBSCRIPTION,
      params: { category: '7' },
      ttlSeconds: 600,
      key: KEY,
    });
    const url = `${p.url}/v1/subscriptions/${SUBSCRIPTION}?category=7&token=${token}`;
    const witness = await SseClient.open(url);
    await witness.waitForEvent('ready');
    await witness.waitForEvent('insert', 2);

    await p.pauseConnector();
    await p.db.sql(`UPDATE items SET price = 10 WHERE id = 1`); // committed: visible in the snapshot
    await p.db.sql(`UPDATE items SET category_id = 7 WHERE id = 3`); // enters, visible
    await p.db.sql(`DELETE FROM items WHERE id = 2`); // visible
    const open = new Client({ connectionString: p.db.url });
    await open.connect();
    await open.query('BEGIN');
    await open.query(`UPDATE items SET name = 'in flight' WHERE id = 1`); // in progress at the snapshot
    try {
      const client = await SseClient.open(url);
      const ready = await client.waitForEvent('ready');
      const initial = new Materialized();
      initial.apply(client.events.slice(0, ready));
      expect(initial.byId().map((r) => [r.id, r.name, r.price])).toEqual([
        [1, 'one', '10.00'],
        [3, 'three', '3.00'],
      ]);
      await open.query('COMMIT');
      p.resumeConnector();
      // The witness, live before the pause, receives everything: the log has caught up once it has.
      await witness.waitForEvent('update', 2);
      await witness.waitForEvent('delete');
      await witness.waitForEvent('insert', 3);
      // Sentinels on every key involved: a wrongly delivered entry of a key arrives before its sentinel.
      await p.db.sql(
        `UPDATE items SET name = 'sentinel' WHERE id IN (1, 3); INSERT INTO items VALUES (2, 7, 'sentinel', 0, NULL)`,
      );
      const changes = () =>
        client.events
          .slice(ready + 1)
          .filter(isChange)
          .map((e) => [e.event, JSON.parse(e.data) as { key: { id: number }; row?: { name: string } }])
          .map(([event, data]) => [
            event,
            (data as { key: { id: number } }).key.id,
            (data as { row?: { name: string } }).row?.name,
          ]);
      for (let i = 0; i < 400 && changes().length < 4; i++) await new Promise((r) => setTimeout(r, 50));
      // Only the in-flight transaction's change and the sentinels; the three visible ones were skipped.
      expect(changes().sort((a, b) => (a[1] as number) - (b[1] as number))).toEqual([
        ['update', 1, 'in flight'],
        ['update', 1, 'sentinel'],
        ['insert', 2, 'sentinel'],
        ['update', 3, 'sentinel'],
      ]);
      const copy = new Materialized();
      copy.apply(client.events);
      expect(copy.byId()).toEqual(await p.expected(7));
      client.close();
    } finally {
      await open.end();
      witness.close();
    }
  }, 120_000);
});
