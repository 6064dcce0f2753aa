/**
 * Property: random writes (inserts, price changes, moves across the filter, deletes, two-row
 * transactions) with random disconnects and Last-Event-ID resumes; at the end the client's
 * materialized copy equals the filtered SELECT. The client model is the one a real client needs:
 * a fresh stream's rows replace the copy at `ready` (a stream cut before `ready` is discarded),
 * `reset` starts a fresh initial state, changes apply in arrival order, the last `id` resumes.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../src';
import { KEY, startGatewayPipeline, SUBSCRIPTION, type GatewayPipeline } from './gateway-pipeline';
import { SseClient, type SseEvent } from './sse-client';

let p: GatewayPipeline;
beforeAll(async () => {
  p = await startGatewayPipeline();
}, 120_000);
afterAll(async () => p?.stop(), 180_000);

type Step =
  | { kind: 'upsert'; id: number; inA: boolean; price: number }
  | { kind: 'price'; id: number; price: number }
  | { kind: 'move'; id: number; inA: boolean }
  | { kind: 'delete'; id: number }
  | { kind: 'tx'; a: number; b: number; inA: boolean }
  | { kind: 'disconnect'; afterReady: boolean };

const id = fc.integer({ min: 0, max: 7 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('upsert' as const), id, inA: fc.boolean(), price: fc.integer({ min: 0, max: 999 }) }),
  fc.record({ kind: fc.constant('price' as const), id, price: fc.integer({ min: 0, max: 999 }) }),
  fc.record({ kind: fc.constant('move' as const), id, inA: fc.boolean() }),
  fc.record({ kind: fc.constant('delete' as const), id }),
  fc.record({ kind: fc.constant('tx' as const), a: id, b: id, inA: fc.boolean() }),
  fc.record({ kind: fc.constant('disconnect' as const), afterReady: fc.boolean() }),
  fc.record({ kind: fc.constant('disconnect' as const), afterReady: fc.constant(true) }),
);

/** What a client keeps across connections. */
class ClientModel {
  copy = new Map<string, unknown>();
  lastId: string | undefined;

  /** Absorbs one connection's events; `fresh` when it was opened without a position. */
  absorb(events: SseEvent[], fresh: boolean): void {
    let pending: Map<string, unknown> | undefined = fresh ? new Map() : undefined;
    // A transaction's changes apply together, when its last change (the one with the id) arrives;
    // a stream cut inside one drops it (the resume sends it again).
    let transaction: SseEvent[] = [];
    for (const e of events) {
      if (e.event === 'reset') pending = new Map();
      else if (e.event === 'ready') {
        if (pending) this.copy = pending;
        pending = undefined;
        this.lastId = e.id;
      } else if (e.event === 'insert' || e.event === 'update' || e.event === 'delete') {
        const data = JSON.parse(e.data) as { key: unknown; row?: unknown; lsn?: string };
        if (data.lsn === undefined) {
          if (pending) pending.set(JSON.stringify(data.key), data.row);
          continue;
        }
        transaction.push(e);
        if (!e.id) continue;
        for (const change of transaction) {
          const parsed = JSON.parse(change.data) as { key: unknown; row?: unknown };
          if (change.event === 'delete') this.copy.delete(JSON.stringify(parsed.key));
          else this.copy.set(JSON.stringify(parsed.key), parsed.row);
        }
        transaction = [];
        this.lastId = e.id;
      }
    }
  }

  rows(): unknown[] {
    return [...this.copy.values()].sort((a, b) => (a as { id: number }).id - (b as { id: number }).id);
  }
}

let run = 0;
let resumes = 0;

describe('gateway property', () => {
  it('a client with random disconnects ends with exactly the filtered SELECT', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 30 }), async (steps) => {
        run++;
        const base = 1000 + run * 100;
        const A = base;
        const B = base + 1;
        const category = String(A);
        const token = await issueToken({ subscription: SUBSCRIPTION, params: { category }, ttlSeconds: 600, key: KEY });
        const url = `${p.url}/v1/subscriptions/${SUBSCRIPTION}?category=${category}`;
        const model = new ClientModel();
        let fresh = true;
        let client: SseClient | undefined = await SseClient.open(url, { authorization: `Bearer ${token}` });
        const connect = async () => {
          fresh = model.lastId === undefined;
          const headers: Record<string, string> = { authorization: `Bearer ${token}` };
          if (model.lastId) headers['last-event-id'] = model.lastId;
          client = await SseClient.open(url, headers);
          if (!fresh) resumes++;
        };
        const row = (n: number) => base + n;
        for (const s of steps) {
          if (s.kind === 'disconnect') {
            if (client) {
              if (s.afterReady) await client.waitForEvent('ready');
              client.close();
              model.absorb(client.events, fresh);
              client = undefined;
            }
            continue;
          }
          if (s.kind === 'upsert')
            await p.db.sql(
              `INSERT INTO items VALUES ($1, $2, 'r', $3, NULL) ON CONFLICT (id) DO UPDATE SET category_id = $2, price = $3`,
              [row(s.id), s.inA ? A : B, s.price],
            );
          else if (s.kind === 'price')
            await p.db.sql(`UPDATE items SET price = $2 WHERE id = $1`, [row(s.id), s.price]);
          else if (s.kind === 'move')
            await p.db.sql(`UPDATE items SET category_id = $2 WHERE id = $1`, [row(s.id), s.inA ? A : B]);
          else if (s.kind === 'delete') await p.db.sql(`DELETE FROM items WHERE id = $1`, [row(s.id)]);
          else
            await p.db.sql(
              `UPDATE items SET price = price + 1 WHERE id = ${row(s.a)}; UPDATE items SET category_id = ${s.inA ? A : B} WHERE id = ${row(s.b)}`,
            );
          if (!client) await connect();
        }
        if (!client) await connect();
        const last = client as SseClient;
        await last.waitForEvent('ready');
        const expected = await p.expected(A);
        let rows: unknown[] = [];
        for (let attempt = 0; attempt < 400; attempt++) {
          const probe = new ClientModel();
          probe.copy = new Map(model.copy);
          probe.lastId = model.lastId;
          probe.absorb(last.events, fresh);
          rows = probe.rows();
          if (JSON.stringify(rows) === JSON.stringify(expected)) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        last.close();
        expect(rows).toEqual(expected);
      }),
      { numRuns: 20, endOnFailure: true },
    );
    expect(resumes).toBeGreaterThan(0); // the runs did exercise Last-Event-ID
  }, 180_000);
});
