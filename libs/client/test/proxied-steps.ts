/**
 * Test support shared by the client property tests: the gateway pipeline behind a real TCP proxy,
 * started before the file's tests and stopped after them, and the random steps (writes to `items`,
 * connection cuts) with how each one is run.
 */
import { afterAll, beforeAll } from 'vitest';
import { startTcpProxy, type TcpProxy, type TestDatabase } from '@distributary/testkit';
import type { GatewayPipeline } from '../../gateway/test/gateway-pipeline';

export interface ProxiedGateway {
  readonly p: GatewayPipeline;
  readonly proxy: TcpProxy;
}

/** Registers the hooks that start `start()` and a proxy in front of its gateway, and stop both. */
export function proxiedGateway(start: () => Promise<GatewayPipeline>): ProxiedGateway {
  let pipeline: GatewayPipeline | undefined;
  let tcp: TcpProxy | undefined;
  beforeAll(async () => {
    pipeline = await start();
    tcp = await startTcpProxy(Number(new URL(pipeline.url).port));
  }, 120_000);
  afterAll(async () => {
    await tcp?.close();
    await pipeline?.stop();
  }, 180_000);
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the proxied gateway is not started (beforeAll)');
    return value;
  };
  return {
    get p() {
      return started(pipeline);
    },
    get proxy() {
      return started(tcp);
    },
  };
}

export type Step<Price = number> =
  | { kind: 'upsert'; id: number; inside: boolean; price: Price }
  | { kind: 'price'; id: number; price: Price }
  | { kind: 'move'; id: number; inside: boolean }
  | { kind: 'delete'; id: number }
  | { kind: 'tx'; a: number; b: number; inside: boolean }
  | { kind: 'cut' }
  | { kind: 'reconnect' };

export interface StepContext {
  db: TestDatabase;
  proxy: TcpProxy;
  /** Row ids of this run are base + step id; rows inside the filter get category `inside`. */
  base: number;
  inside: number;
  outside: number;
  /** The price of the row a transaction step inserts. */
  txPrice: number;
}

/** Runs one step; true when it wrote (one source transaction). */
export async function applyStep(s: Step<number | null>, c: StepContext): Promise<boolean> {
  const { db, base } = c;
  const category = (yes: boolean) => (yes ? c.inside : c.outside);
  switch (s.kind) {
    case 'upsert':
      await db.sql(
        `INSERT INTO items VALUES ($1, $2, 'p', $3, NULL)
         ON CONFLICT (id) DO UPDATE SET category_id = EXCLUDED.category_id, price = EXCLUDED.price`,
        [base + s.id, category(s.inside), s.price],
      );
      return true;
    case 'price':
      await db.sql(`UPDATE items SET price = $2 WHERE id = $1`, [base + s.id, s.price]);
      return true;
    case 'move':
      await db.sql(`UPDATE items SET category_id = $2 WHERE id = $1`, [base + s.id, category(s.inside)]);
      return true;
    case 'delete':
      await db.sql(`DELETE FROM items WHERE id = $1`, [base + s.id]);
      return true;
    case 'tx':
      await db.sql(
        `BEGIN;
         INSERT INTO items VALUES (${base + s.a}, ${category(s.inside)}, 'tx', ${c.txPrice}, NULL)
           ON CONFLICT (id) DO UPDATE SET category_id = EXCLUDED.category_id, name = 'tx';
         DELETE FROM items WHERE id = ${base + s.b} AND ${s.a} <> ${s.b};
         COMMIT`,
      );
      return true;
    case 'cut':
      c.proxy.cut();
      return false;
    case 'reconnect':
      c.proxy.resume();
      return false;
  }
}
