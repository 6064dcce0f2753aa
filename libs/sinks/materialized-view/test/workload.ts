import fc from 'fast-check';
import { type ChangeEvent, type Row, type SinkBatch, partitionFor, positionToId } from '@distributary/core';
import { event } from './helpers';

/**
 * A random workload on public.orders (facts) and public.products (lookup rows): the SQL that performs
 * it on a real source database, and the change events the connector would log for it, split into
 * partitions, cut into random batches, interleaved and partly redelivered.
 */
export type WorkloadOp =
  | { kind: 'order'; id: number; productId: number; amount: string | null; qty: number | null; status: string | null }
  | { kind: 'product'; id: number; categoryId: number | null; price: string }
  | { kind: 'delete-order'; id: number }
  | { kind: 'delete-product'; id: number };

const cents = fc.integer({ min: -50_000, max: 50_000 }).map((c) => (c / 100).toFixed(2));
/** Amounts: mostly cents, sometimes NaN (a numeric(12,2) holds NaN; it must retract like any value). */
const amounts = fc.oneof({ weight: 9, arbitrary: cents }, { weight: 1, arbitrary: fc.constant('NaN') });

export const workloadOp: fc.Arbitrary<WorkloadOp> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('order' as const),
      id: fc.integer({ min: 1, max: 8 }),
      productId: fc.integer({ min: 1, max: 4 }),
      amount: fc.option(amounts, { freq: 6 }),
      qty: fc.option(fc.integer({ min: -3, max: 20 }), { freq: 5 }),
      status: fc.option(fc.constantFrom('paid', 'shipped', 'void'), { freq: 8 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('product' as const),
      id: fc.integer({ min: 1, max: 4 }),
      categoryId: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 6 }),
      price: cents,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('delete-order' as const), id: fc.integer({ min: 1, max: 8 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('delete-product' as const), id: fc.integer({ min: 1, max: 4 }) }),
  },
);

export interface Workload {
  /** SQL to run on the source (after TRUNCATE) to reach the final rows. */
  sql: string[];
  /** Events in commit order, as the connector would log them. */
  events: ChangeEvent[];
}

function literal(value: string | number | null): string {
  if (value === null) return 'NULL';
  return typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "''")}'`;
}

/**
 * `sameTransaction[i % length]` true puts op i in the previous op's source transaction (same commit
 * LSN, next seq); by default every op is its own transaction.
 */
export function buildWorkload(ops: WorkloadOp[], firstLsn = 1000, sameTransaction: boolean[] = []): Workload {
  const orders = new Map<number, Row>();
  const products = new Map<number, Row>();
  const sql: string[] = [];
  const events: ChangeEvent[] = [];
  let lsn = firstLsn - 1;
  let seq = 0;
  ops.forEach((op, index) => {
    const joins = index > 0 && sameTransaction.length > 0 && sameTransaction[index % sameTransaction.length];
    if (joins) seq++;
    else {
      lsn++;
      seq = 0;
    }
    switch (op.kind) {
      case 'order': {
        const row: Row = { id: op.id, product_id: op.productId, amount: op.amount, qty: op.qty, status: op.status };
        sql.push(
          `INSERT INTO public.orders VALUES (${op.id}, ${op.productId}, ${literal(op.amount)}, ${literal(op.qty)}, ${literal(op.status)}) ` +
            `ON CONFLICT (id) DO UPDATE SET product_id = EXCLUDED.product_id, amount = EXCLUDED.amount, qty = EXCLUDED.qty, status = EXCLUDED.status`,
        );
        events.push(event('public.orders', orders.has(op.id) ? 'u' : 'c', { id: op.id }, row, lsn, seq));
        orders.set(op.id, row);
        break;
      }
      case 'product': {
        const row: Row = { id: op.id, category_id: op.categoryId, price: op.price };
        sql.push(
          `INSERT INTO public.products VALUES (${op.id}, ${literal(op.categoryId)}, ${literal(op.price)}) ` +
            `ON CONFLICT (id) DO UPDATE SET category_id = EXCLUDED.category_id, price = EXCLUDED.price`,
        );
        events.push(event('public.products', products.has(op.id) ? 'u' : 'c', { id: op.id }, row, lsn, seq));
        products.set(op.id, row);
        break;
      }
      case 'delete-order':
        if (!orders.delete(op.id)) return;
        sql.push(`DELETE FROM public.orders WHERE id = ${op.id}`);
        events.push(event('public.orders', 'd', { id: op.id }, undefined, lsn, seq));
        break;
      case 'delete-product':
        if (!products.delete(op.id)) return;
        sql.push(`DELETE FROM public.products WHERE id = ${op.id}`);
        events.push(event('public.products', 'd', { id: op.id }, undefined, lsn, seq));
        break;
    }
  });
  return { sql, events };
}

/** Number of events per source transaction (commit LSN): what the log's commit markers carry. */
export function transactionSizes(events: ChangeEvent[]): Map<bigint, number> {
  const sizes = new Map<bigint, number>();
  for (const e of events) sizes.set(e.pos.lsn, (sizes.get(e.pos.lsn) ?? 0) + 1);
  return sizes;
}

/**
 * Splits events into `partitions` partitions (by table and key, as the log does), cuts each into
 * batches, and interleaves them; `tape` drives every random choice, including redeliveries of batches
 * already applied (what a worker does after a crash before committing its position).
 */
export function deliveries(events: ChangeEvent[], partitions: number, tape: number[]): SinkBatch[] {
  let cursor = 0;
  const next = (): number => tape[cursor++ % tape.length] ?? 0;
  const byPartition: ChangeEvent[][] = Array.from({ length: partitions }, () => []);
  for (const e of events) byPartition[partitionFor(e.table, e.key, partitions)].push(e);
  const queues: SinkBatch[][] = byPartition.map((list, partition) => {
    const batches: SinkBatch[] = [];
    for (let start = 0; start < list.length;) {
      const size = 1 + (next() % 5);
      const slice = list.slice(start, start + size);
      batches.push({
        sink: 'property',
        partition,
        events: slice,
        lastId: positionToId(slice[slice.length - 1].pos),
        fencingToken: 1,
      });
      start += size;
    }
    return batches;
  });
  const delivered: SinkBatch[] = [];
  const out: SinkBatch[] = [];
  for (;;) {
    const open = queues.filter((queue) => queue.length > 0);
    if (open.length === 0) break;
    const batch = open[next() % open.length].shift() as SinkBatch;
    out.push(batch);
    delivered.push(batch);
    if (next() % 4 === 0) out.push(delivered[next() % delivered.length]);
  }
  return out;
}
