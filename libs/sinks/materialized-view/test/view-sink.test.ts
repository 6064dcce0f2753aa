import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FencedError, RetryableError } from '@distributary/core';
import { materializedViewSinkSchema } from '@distributary/config';
import { type TestDatabase, createTestDatabase, stack, startTcpProxy } from '@distributary/testkit';
import { type MaterializedViewSink, createMaterializedViewSink } from '@distributary/sink-materialized-view';
import { batch, event, queryRows, viewConfig, viewRows } from './helpers';

let source: TestDatabase;
let target: TestDatabase;
const open: MaterializedViewSink[] = [];

beforeAll(async () => {
  source = await createTestDatabase('mv_src');
  target = await createTestDatabase('mv_tgt');
  await source.sql(`
    CREATE TABLE public.products (id int PRIMARY KEY, category_id int, price numeric(10,2));
    CREATE TABLE public.orders (id int PRIMARY KEY, product_id int, amount numeric(12,2), qty int, status text)`);
});

afterAll(async () => {
  for (const sink of open) await sink.close();
  await target?.drop();
  await source?.drop();
});

async function openView(sql: string, table?: string): Promise<{ sink: MaterializedViewSink; table: string }> {
  const config = viewConfig(target, sql, table);
  const sink = await createMaterializedViewSink(config, { sourceUrl: source.url });
  open.push(sink);
  await sink.open();
  return { sink, table: config.view.table };
}

const order = (id: number, amount: string | null, status = 'paid', qty: number | null = 1, productId = 1) => ({
  id,
  product_id: productId,
  amount,
  qty,
  status,
});

describe('materialized view over one table', () => {
  it('maintains count, count(col), sum and avg exactly, and drops a group at count 0', async () => {
    const { sink, table } = await openView(
      `SELECT status, count(*) AS orders, count(qty) AS with_qty, sum(amount) AS revenue, avg(amount) AS mean, sum(qty) AS units
       FROM public.orders GROUP BY status`,
    );
    expect(sink.tables).toEqual(['public.orders']);
    await sink.apply(
      batch(0, [
        event('public.orders', 'c', { id: 1 }, order(1, '10.10'), 100),
        event('public.orders', 'c', { id: 2 }, order(2, '0.20', 'paid', null), 101),
        event('public.orders', 'c', { id: 3 }, order(3, '99999999.99', 'void'), 102),
      ]),
    );
    expect(await viewRows(target, table)).toEqual([
      'status=paid orders=2 with_qty=1 revenue=10.3 mean=5.15 units=1',
      'status=void orders=1 with_qty=1 revenue=99999999.99 mean=99999999.99 units=1',
    ]);
    // An update moves order 1 to 'void'; a delete empties 'paid' of order 2 later.
    await sink.apply(
      batch(0, [
        event('public.orders', 'u', { id: 1 }, order(1, '0.01', 'void', 5), 103),
        event('public.orders', 'd', { id: 2 }, undefined, 104),
      ]),
    );
    expect(await viewRows(target, table)).toEqual([
      'status=void orders=2 with_qty=2 revenue=100000000 mean=50000000 units=6',
    ]);
  });

  it('skips events at or below the stored position: redelivering a batch changes nothing', async () => {
    const { sink, table } = await openView(
      `SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status`,
    );
    const first = batch(2, [
      event('public.orders', 'c', { id: 1 }, order(1, '1.50'), 200),
      event('public.orders', 'c', { id: 2 }, order(2, '2.50'), 201),
    ]);
    expect(await sink.apply(first)).toMatchObject({ applied: 2, skippedAsStale: 0, rejected: [] });
    expect(await sink.apply(first)).toMatchObject({ applied: 0, skippedAsStale: 2 });
    const overlapping = batch(2, [
      event('public.orders', 'c', { id: 2 }, order(2, '2.50'), 201),
      event('public.orders', 'c', { id: 3 }, order(3, '3.00'), 202),
    ]);
    expect(await sink.apply(overlapping)).toMatchObject({ applied: 1, skippedAsStale: 1 });
    expect(await viewRows(target, table)).toEqual(['status=paid n=3 total=7']);
    expect(await sink.storedPositions()).toEqual(new Map([[2, '202-0']]));
  });

  it('refuses a batch read under an older fencing token', async () => {
    const { sink } = await openView(`SELECT status, count(*) AS n FROM orders GROUP BY status`);
    await sink.apply(batch(0, [event('public.orders', 'c', { id: 1 }, order(1, '1'), 300)], 5));
    await expect(sink.apply(batch(0, [event('public.orders', 'c', { id: 2 }, order(2, '1'), 301)], 4))).rejects.toThrow(
      FencedError,
    );
  });

  it('keeps min and max right when the current extreme is deleted or changed', async () => {
    const { sink, table } = await openView(
      `SELECT status, min(amount) AS lo, max(amount) AS hi, max(qty) AS most FROM orders GROUP BY status`,
    );
    await sink.apply(
      batch(0, [
        event('public.orders', 'c', { id: 1 }, order(1, '5.00', 'paid', 1), 400),
        event('public.orders', 'c', { id: 2 }, order(2, '1.00', 'paid', 7), 401),
        event('public.orders', 'c', { id: 3 }, order(3, '9.00', 'paid', 3), 402),
      ]),
    );
    expect(await viewRows(target, table)).toEqual(['status=paid lo=1 hi=9 most=7']);
    await sink.apply(
      batch(0, [
        event('public.orders', 'd', { id: 3 }, undefined, 403),
        event('public.orders', 'u', { id: 2 }, order(2, '6.00', 'paid', 2), 404),
      ]),
    );
    expect(await viewRows(target, table)).toEqual(['status=paid lo=5 hi=6 most=2']);
    await sink.apply(batch(0, [event('public.orders', 'u', { id: 1 }, order(1, null, 'paid', null), 405)]));
    expect(await viewRows(target, table)).toEqual(['status=paid lo=6 hi=6 most=2']);
  });

  it('applies WHERE predicates (comparison, IN list, IS NULL, AND) and moves rows in and out', async () => {
    const { sink, table } = await openView(
      `SELECT status, count(*) AS n FROM orders
       WHERE amount >= 2 AND status IN ('paid', 'shipped') AND qty IS NOT NULL GROUP BY status`,
    );
    await sink.apply(
      batch(0, [
        event('public.orders', 'c', { id: 1 }, order(1, '1.00'), 500),
        event('public.orders', 'c', { id: 2 }, order(2, '2.00'), 501),
        event('public.orders', 'c', { id: 3 }, order(3, '3.00', 'void'), 502),
        event('public.orders', 'c', { id: 4 }, order(4, '3.00', 'shipped', null), 503),
      ]),
    );
    expect(await viewRows(target, table)).toEqual(['status=paid n=1']);
    await sink.apply(
      batch(0, [
        event('public.orders', 'u', { id: 1 }, order(1, '4.00'), 504),
        event('public.orders', 'u', { id: 4 }, order(4, '3.00', 'shipped', 2), 505),
        event('public.orders', 'u', { id: 2 }, order(2, '2.00', 'void'), 506),
      ]),
    );
    expect(await viewRows(target, table)).toEqual(['status=paid n=1', 'status=shipped n=1']);
  });

  it('purges tombstones at or below every partition position, without changing the view', async () => {
    const config = viewConfig(target, `SELECT status, count(*) AS n FROM orders GROUP BY status`);
    const sink = await createMaterializedViewSink(config, { sourceUrl: source.url, purgeEveryBatches: 1 });
    open.push(sink);
    await sink.open();
    const facts = `distributary_views.${config.name.replace(/-/g, '_')}_g1_facts`;
    await sink.apply(
      batch(0, [
        event('public.orders', 'c', { id: 1 }, order(1, '1'), 1500),
        event('public.orders', 'c', { id: 2 }, order(2, '1'), 1501),
        event('public.orders', 'd', { id: 1 }, undefined, 1502),
      ]),
    );
    await sink.apply(batch(1, [event('public.orders', 'd', { id: 2 }, undefined, 1503)]));
    // Partition 0 is at 1502, partition 1 at 1503: only tombstones up to 1502 may go.
    expect(await target.sql(`SELECT __pk FROM ${facts} WHERE __deleted ORDER BY __pk`)).toEqual([
      { __pk: '[["id",2]]' },
    ]);
    await sink.apply(batch(0, [event('public.orders', 'c', { id: 3 }, order(3, '1', 'void'), 1504)]));
    expect(await target.sql(`SELECT __pk FROM ${facts} WHERE __deleted`)).toEqual([]);
    expect(await viewRows(target, config.view.table)).toEqual(['status=void n=1']);
  });

  it('dead-letters an event whose value does not fit the column type and applies the rest', async () => {
    const { sink, table } = await openView(`SELECT status, sum(qty) AS units FROM orders GROUP BY status`);
    const bad = event('public.orders', 'c', { id: 2 }, { ...order(2, '1'), qty: 'lots' }, 601);
    const result = await sink.apply(
      batch(0, [event('public.orders', 'c', { id: 1 }, order(1, '1', 'paid', 4), 600), bad]),
    );
    expect(result.rejected.map((r) => r.event)).toEqual([bad]);
    expect(result.rejected[0].error).toMatch(/integer/);
    expect(await viewRows(target, table)).toEqual(['status=paid units=4']);
  });

  it('honours TRUNCATE: older events arriving later do not resurrect rows', async () => {
    const { sink, table } = await openView(`SELECT status, count(*) AS n FROM orders GROUP BY status`);
    await sink.apply(batch(0, [event('public.orders', 'c', { id: 1 }, order(1, '1'), 700)]));
    await sink.apply(batch(1, [event('public.orders', 't', {}, undefined, 702)]));
    expect(await viewRows(target, table)).toEqual([]);
    await sink.apply(batch(0, [event('public.orders', 'c', { id: 2 }, order(2, '1'), 701)]));
    await sink.apply(batch(0, [event('public.orders', 'c', { id: 3 }, order(3, '1'), 703)]));
    expect(await viewRows(target, table)).toEqual(['status=paid n=1']);
  });
});

describe('materialized view with a lookup join', () => {
  const sql = `SELECT p.category_id AS category, count(*) AS orders, sum(o.amount) AS revenue, max(p.price) AS top_price
               FROM public.orders o JOIN public.products p ON o.product_id = p.id GROUP BY p.category_id`;

  it('declares both tables, waits for unknown lookup rows, and moves contributions when a lookup row changes', async () => {
    const { sink, table } = await openView(sql);
    expect(sink.tables).toEqual(['public.orders', 'public.products']);
    await sink.apply(
      batch(0, [
        event('public.orders', 'c', { id: 1 }, order(1, '10.00', 'paid', 1, 1), 800),
        event('public.orders', 'c', { id: 2 }, order(2, '5.00', 'paid', 1, 2), 801),
      ]),
    );
    expect(await viewRows(target, table)).toEqual([]); // no product known yet: inner join
    await sink.apply(
      batch(1, [
        event('public.products', 'c', { id: 1 }, { id: 1, category_id: 7, price: '3.00' }, 802),
        event('public.products', 'c', { id: 2 }, { id: 2, category_id: 7, price: '4.00' }, 803),
      ]),
    );
    expect(await viewRows(target, table)).toEqual(['category=7 orders=2 revenue=15 top_price=4']);
    // Product 2 moves to category 8: its order's contribution moves with it, in the same transaction.
    await sink.apply(
      batch(1, [event('public.products', 'u', { id: 2 }, { id: 2, category_id: 8, price: '4.00' }, 804)]),
    );
    expect(await viewRows(target, table)).toEqual([
      'category=7 orders=1 revenue=10 top_price=3',
      'category=8 orders=1 revenue=5 top_price=4',
    ]);
    // A late, older product event (delivered again from another partition) changes nothing.
    await sink.apply(
      batch(3, [event('public.products', 'u', { id: 2 }, { id: 2, category_id: 7, price: '4.00' }, 803)]),
    );
    expect(await viewRows(target, table)).toEqual([
      'category=7 orders=1 revenue=10 top_price=3',
      'category=8 orders=1 revenue=5 top_price=4',
    ]);
    // Deleting the product removes its orders from the view; the order moving product follows.
    await sink.apply(
      batch(1, [
        event('public.products', 'd', { id: 1 }, undefined, 805),
        event('public.orders', 'u', { id: 2 }, order(2, '5.00', 'paid', 1, 1), 806),
      ]),
    );
    expect(await viewRows(target, table)).toEqual([]);
  });

  it('a TRUNCATE of the lookup table retracts every joined fact until lookup rows return', async () => {
    const { sink, table } = await openView(sql);
    await sink.apply(
      batch(0, [
        event('public.products', 'c', { id: 1 }, { id: 1, category_id: 1, price: '1.00' }, 850),
        event('public.orders', 'c', { id: 1 }, order(1, '2.00', 'paid', 1, 1), 851),
        event('public.orders', 'c', { id: 2 }, order(2, '3.00', 'paid', 1, 1), 852),
      ]),
    );
    expect(await viewRows(target, table)).toEqual(['category=1 orders=2 revenue=5 top_price=1']);
    await sink.apply(batch(1, [event('public.products', 't', {}, undefined, 853)]));
    expect(await viewRows(target, table)).toEqual([]);
    // An older product event arriving late stays below the truncation; a newer one counts.
    await sink.apply(
      batch(2, [event('public.products', 'u', { id: 1 }, { id: 1, category_id: 1, price: '1.00' }, 852)]),
    );
    expect(await viewRows(target, table)).toEqual([]);
    await sink.apply(
      batch(2, [event('public.products', 'c', { id: 1 }, { id: 1, category_id: 4, price: '9.00' }, 854)]),
    );
    expect(await viewRows(target, table)).toEqual(['category=4 orders=2 revenue=5 top_price=9']);
  });

  it('equals the same SELECT run on the source after a small workload', async () => {
    const { sink, table } = await openView(sql);
    await source.sql(`TRUNCATE public.orders, public.products`);
    await source.sql(`INSERT INTO public.products VALUES (1, 1, 2.00), (2, 2, 3.50);
                      INSERT INTO public.orders VALUES (1, 1, 1.25, 1, 'paid'), (2, 2, 2.75, 1, 'paid'), (3, 2, 3.00, 1, 'x')`);
    await sink.apply(
      batch(0, [
        event('public.products', 'r', { id: 1 }, { id: 1, category_id: 1, price: '2.00' }, 900),
        event('public.products', 'r', { id: 2 }, { id: 2, category_id: 2, price: '3.50' }, 900, 1),
        event('public.orders', 'r', { id: 1 }, order(1, '1.25', 'paid', 1, 1), 900, 2),
        event('public.orders', 'r', { id: 2 }, order(2, '2.75', 'paid', 1, 2), 900, 3),
        event('public.orders', 'r', { id: 3 }, order(3, '3.00', 'x', 1, 2), 900, 4),
      ]),
    );
    expect(await viewRows(target, table)).toEqual(await queryRows(source, sql));
  });
});

describe('transaction-granular apply', () => {
  it('never shows part of a source transaction, and releases transactions in commit order', async () => {
    const sizes = new Map<bigint, number>([[3000n, 2]]);
    const config = viewConfig(
      target,
      `SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status`,
      undefined,
      true,
    );
    const sink = await createMaterializedViewSink(config, {
      sourceUrl: source.url,
      transactionSize: async (lsn) => sizes.get(lsn),
    });
    open.push(sink);
    await sink.open();
    // Transaction 3000 wrote orders 1 and 2, which live in different partitions.
    await sink.apply(batch(0, [event('public.orders', 'c', { id: 1 }, order(1, '5.00'), 3000, 0)]));
    expect(await viewRows(target, config.view.table)).toEqual([]);
    expect(await sink.describe()).toMatchObject({ pendingEvents: 1 });
    // Transaction 3001 is complete but waits behind 3000; snapshot rows are not held back.
    sizes.set(3001n, 1);
    await sink.apply(batch(2, [event('public.orders', 'c', { id: 3 }, order(3, '1.00', 'void'), 3001, 0)]));
    await sink.apply(batch(3, [event('public.orders', 'r', { id: 9 }, order(9, '0.50', 'snap'), 2500, 0)]));
    expect(await viewRows(target, config.view.table)).toEqual(['status=snap n=1 total=0.5']);
    await sink.apply(batch(1, [event('public.orders', 'c', { id: 2 }, order(2, '7.00'), 3000, 1)]));
    expect(await viewRows(target, config.view.table)).toEqual([
      'status=paid n=2 total=12',
      'status=snap n=1 total=0.5',
      'status=void n=1 total=1',
    ]);
    expect(await sink.describe()).toMatchObject({ pendingEvents: 0 });
  });
});

describe('rebuild', () => {
  it('rebuilds into a new generation and swaps it in when the SQL changes', async () => {
    const config = viewConfig(target, `SELECT status, count(*) AS n FROM orders GROUP BY status`);
    const first = await createMaterializedViewSink(config, { sourceUrl: source.url });
    open.push(first);
    await first.open();
    const events = [
      event('public.orders', 'c', { id: 1 }, order(1, '1.00'), 1000),
      event('public.orders', 'c', { id: 2 }, order(2, '2.00', 'void'), 1001),
      event('public.orders', 'c', { id: 3 }, order(3, '4.00'), 1002),
    ];
    await first.apply(batch(0, events));
    expect(await first.needsRebuild()).toBe(false);
    await first.close();

    const changed = {
      ...config,
      sql: `SELECT status, sum(amount) AS total FROM orders WHERE amount > 1 GROUP BY status`,
    };
    const second = await createMaterializedViewSink(changed, { sourceUrl: source.url });
    open.push(second);
    await second.open();
    expect(await second.needsRebuild()).toBe(true);
    await expect(second.apply(batch(0, events))).rejects.toThrow(/rebuild/);
    expect(await viewRows(target, config.view.table)).toEqual(['status=paid n=2', 'status=void n=1']);

    async function* log() {
      yield events.slice(0, 2);
      yield events.slice(2);
    }
    const result = await second.rebuild(log());
    expect(result).toMatchObject({ generation: 2, events: 3, rejected: [] });
    expect(await second.needsRebuild()).toBe(false);
    expect(await viewRows(target, config.view.table)).toEqual(['status=paid total=4', 'status=void total=2']);
    // Positions were kept; re-applying the log over the rebuilt view is harmless, new events apply.
    expect(await second.apply(batch(0, events))).toMatchObject({ skippedAsStale: 3 });
    await second.apply(batch(0, [event('public.orders', 'c', { id: 4 }, order(4, '1.50'), 1003)]));
    expect(await viewRows(target, config.view.table)).toEqual(['status=paid total=5.5', 'status=void total=2']);
    const leftovers = await target.sql(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'distributary_views' AND tablename LIKE $1`,
      [`${config.name.replace(/-/g, '_')}_g1_%`],
    );
    expect(leftovers).toEqual([]);
  });
});

describe('open() checks the view against the source tables', () => {
  it.each([
    [`SELECT status, sum(status) AS s FROM orders GROUP BY status`, /sum\(status\) is not supported over type text/],
    [
      `SELECT status, count(*) AS n FROM orders WHERE nope = 1 GROUP BY status`,
      /column nope does not exist in public.orders/,
    ],
    [
      `SELECT category_id, count(*) AS n FROM orders o JOIN products p ON o.product_id = p.category_id GROUP BY category_id`,
      /must be joined on its single-column primary key \(it is id; the view joins on category_id\)/,
    ],
    [
      `SELECT id, count(*) AS n FROM orders o JOIN products p ON o.product_id = p.id GROUP BY id`,
      /column reference "id" is ambiguous/,
    ],
    [`SELECT x.status, count(*) AS n FROM orders o GROUP BY x.status`, /unknown table or alias "x"/],
    [`SELECT status, count(*) AS n FROM public.missing GROUP BY status`, /public.missing was not found/],
    [`SELECT status, count(*) AS n FROM orders WHERE qty = 'many' GROUP BY status`, /does not fit the source columns/],
  ])('refuses %s', async (sql, message) => {
    const config = viewConfig(target, sql);
    const sink = await createMaterializedViewSink(config, { sourceUrl: source.url });
    open.push(sink);
    await expect(sink.open()).rejects.toThrow(message);
    const [{ found }] = await target.sql(`SELECT to_regclass($1)::text AS found`, [config.view.table]);
    expect(found).toBeNull();
  });

  it('accepts the sink config of the design document and fills defaults', () => {
    const parsed = materializedViewSinkSchema.parse({
      name: 'sales-by-category',
      view: { postgres: 'postgres://db/analytics', table: 'analytics.sales_by_category' },
      sql: 'SELECT category_id, count(*) AS orders, sum(amount) AS revenue FROM public.orders GROUP BY category_id',
    });
    expect(parsed.view.stateSchema).toBe('distributary_views');
    expect(parsed.transactional).toBe(false);
  });
});

describe('failure handling', () => {
  it('throws RetryableError while the target is unreachable and applies exactly once after it returns', async () => {
    const proxy = await startTcpProxy(stack.pgPort);
    try {
      const config = viewConfig(
        target,
        `SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status`,
      );
      const viaProxy = {
        ...config,
        view: { ...config.view, postgres: `postgres://postgres@127.0.0.1:${proxy.port}/${target.name}` },
      };
      const sink = await createMaterializedViewSink(viaProxy, { sourceUrl: source.url });
      open.push(sink);
      await sink.open();
      await sink.apply(batch(0, [event('public.orders', 'c', { id: 1 }, order(1, '1.10'), 1100)]));
      proxy.cut();
      const second = batch(0, [event('public.orders', 'c', { id: 2 }, order(2, '2.20'), 1101)]);
      await expect(sink.apply(second)).rejects.toBeInstanceOf(RetryableError);
      proxy.resume();
      await sink.apply(second);
      await sink.apply(second);
      expect(await viewRows(target, config.view.table)).toEqual(['status=paid n=2 total=3.3']);
    } finally {
      proxy.cut();
      await proxy.close();
    }
  });

  it('serialises concurrent batches of different partitions from two appliers without deadlock', async () => {
    const config = viewConfig(target, `SELECT status, count(*) AS n, sum(qty) AS units FROM orders GROUP BY status`);
    const appliers = [
      await createMaterializedViewSink(config, { sourceUrl: source.url }),
      await createMaterializedViewSink(config, { sourceUrl: source.url }),
    ];
    open.push(...appliers);
    for (const sink of appliers) await sink.open();
    await Promise.all(
      appliers.map(async (sink, partition) => {
        for (let i = 0; i < 10; i++) {
          const id = partition * 100 + i;
          await sink.apply(
            batch(partition, [
              event('public.orders', 'c', { id }, order(id, '1', i % 2 ? 'paid' : 'void', 2), 1200 + id),
            ]),
          );
        }
      }),
    );
    expect(await viewRows(target, config.view.table)).toEqual([
      'status=paid n=10 units=20',
      'status=void n=10 units=20',
    ]);
    expect(await appliers[0].storedPositions()).toEqual(
      new Map([
        [0, '1209-0'],
        [1, '1309-0'],
      ]),
    );
  });
});
