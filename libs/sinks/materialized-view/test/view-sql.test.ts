import { describe, expect, it } from 'vitest';
import { ViewSqlError, parseViewSql } from '@distributary/sink-materialized-view';

describe('parseViewSql', () => {
  it('accepts the supported shape, with aliases, a lookup join and simple predicates', async () => {
    const view = await parseViewSql(
      `SELECT p.category_id AS category, o.status, count(*) AS orders, count(o.qty), sum(o.amount) AS revenue,
              avg(o.amount) AS mean, min(o.amount) AS lo, max(o.amount) AS hi
       FROM public.orders o JOIN products p ON o.product_id = p.id
       WHERE o.status IN ('paid', 'shipped') AND o.amount > -3.5 AND 10 >= o.qty AND o.note IS NULL AND o.flag = true
       GROUP BY p.category_id, 2`,
    );
    expect(view.tables).toEqual(['public.orders', 'public.products']);
    expect(view.groups).toEqual([
      { name: 'category', ref: { relation: 'p', column: 'category_id' } },
      { name: 'status', ref: { relation: 'o', column: 'status' } },
    ]);
    expect(view.aggregates.map((a) => `${a.name}=${a.fn}(${a.arg?.column ?? '*'})`)).toEqual([
      'orders=count(*)',
      'count=count(qty)',
      'revenue=sum(amount)',
      'mean=avg(amount)',
      'lo=min(amount)',
      'hi=max(amount)',
    ]);
    expect(view.outputs.map((o) => o.name)).toEqual([
      'category',
      'status',
      'orders',
      'count',
      'revenue',
      'mean',
      'lo',
      'hi',
    ]);
    expect(view.join).toEqual({
      lookup: { table: 'public.products', alias: 'p' },
      left: { relation: 'o', column: 'product_id' },
      right: { relation: 'p', column: 'id' },
    });
    expect(view.where).toEqual({
      kind: 'and',
      args: [
        {
          kind: 'in',
          column: { relation: 'o', column: 'status' },
          values: [
            { kind: 'string', value: 'paid' },
            { kind: 'string', value: 'shipped' },
          ],
          negated: false,
        },
        {
          kind: 'compare',
          column: { relation: 'o', column: 'amount' },
          op: '>',
          value: { kind: 'number', text: '-3.5' },
        },
        { kind: 'compare', column: { relation: 'o', column: 'qty' }, op: '<=', value: { kind: 'number', text: '10' } },
        { kind: 'null-test', column: { relation: 'o', column: 'note' }, negated: false },
        {
          kind: 'compare',
          column: { relation: 'o', column: 'flag' },
          op: '=',
          value: { kind: 'boolean', value: true },
        },
      ],
    });
  });

  const refused: [string, string][] = [
    ['SELECT status, count(*) FROM orders GROUP BY status HAVING count(*) > 1', 'unsupported in view SQL: HAVING'],
    ["SELECT status, string_agg(note, ',') FROM orders GROUP BY status", 'unsupported aggregate: string_agg'],
    ['SELECT status, count(DISTINCT id) FROM orders GROUP BY status', 'unsupported in view SQL: count(DISTINCT ...)'],
    ['SELECT status, count(*) FROM orders GROUP BY status ORDER BY status', 'unsupported in view SQL: ORDER BY'],
    ['SELECT status, count(*) FROM orders GROUP BY status LIMIT 5', 'unsupported in view SQL: LIMIT'],
    ['SELECT count(*) FROM orders', 'unsupported in view SQL: aggregates without GROUP BY'],
    [
      'SELECT status, count(*) FROM orders WHERE amount > 1 OR qty > 2 GROUP BY status',
      'unsupported in view SQL: OR in WHERE',
    ],
    [
      'SELECT status, count(*) FROM orders WHERE id IN (SELECT id FROM x) GROUP BY status',
      'unsupported in view SQL: subquery in WHERE',
    ],
    [
      'SELECT status, count(*) FROM orders WHERE EXISTS (SELECT 1) GROUP BY status',
      'unsupported in view SQL: subquery in WHERE',
    ],
    [
      'SELECT p.category_id, count(*) FROM orders o LEFT JOIN products p ON o.product_id = p.id GROUP BY p.category_id',
      'unsupported join type: LEFT JOIN',
    ],
    [
      'SELECT category_id, count(*) FROM orders o JOIN products p ON o.product_id = p.id AND p.live GROUP BY category_id',
      'unsupported join condition: only ON <fact column> = <lookup column>',
    ],
    [
      'SELECT a.x, count(*) FROM a JOIN b ON a.id = b.id JOIN c ON b.id = c.id GROUP BY a.x',
      'unsupported in view SQL: more than one JOIN',
    ],
    [
      'SELECT status, count(*) FROM orders, products GROUP BY status',
      'unsupported in view SQL: more than one FROM item (use JOIN ... ON)',
    ],
    [
      'SELECT status, count(*) FROM (SELECT * FROM orders) s GROUP BY status',
      'unsupported in view SQL: subquery in FROM',
    ],
    ['SELECT lower(status), count(*) FROM orders GROUP BY 1', 'unsupported aggregate: lower'],
    [
      'SELECT status, sum(amount * 2) FROM orders GROUP BY status',
      'unsupported aggregate argument in sum(): only a plain column, e.g. sum(amount)',
    ],
    [
      'SELECT status, count(*) OVER () FROM orders GROUP BY status',
      'unsupported in view SQL: window function count() OVER',
    ],
    [
      'SELECT status, count(*) FROM orders GROUP BY status UNION SELECT status, count(*) FROM orders GROUP BY status',
      'unsupported in view SQL: UNION',
    ],
    ['WITH x AS (SELECT 1) SELECT status, count(*) FROM orders GROUP BY status', 'unsupported in view SQL: WITH'],
    ['SELECT DISTINCT status, count(*) FROM orders GROUP BY status', 'unsupported in view SQL: DISTINCT'],
    ['SELECT status, qty, count(*) FROM orders GROUP BY status', 'column qty must appear in the GROUP BY clause'],
    [
      'SELECT status, count(*), count(*) FROM orders GROUP BY status',
      'duplicate output column "count": give each column its own alias (AS name)',
    ],
    [
      'SELECT status, count(*) FROM orders GROUP BY ROLLUP (status)',
      'unsupported in view SQL: GROUPING SETS / ROLLUP / CUBE',
    ],
    [
      "SELECT status, count(*) FROM orders WHERE note LIKE 'a%' GROUP BY status",
      'unsupported in view SQL: LIKE in WHERE',
    ],
    [
      'SELECT status, count(*) FROM orders WHERE amount > qty GROUP BY status',
      'unsupported in view SQL: a comparison between two columns in WHERE',
    ],
    ['DELETE FROM orders', 'unsupported in view SQL: DeleteStmt (only SELECT)'],
    ['SELECT 1; SELECT 2', 'unsupported in view SQL: 2 statements (exactly one SELECT)'],
    ['SELECT * FROM orders GROUP BY status', 'unsupported in view SQL: SELECT *'],
  ];

  it.each(refused)('refuses %s', async (sql, message) => {
    const error = await parseViewSql(sql).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ViewSqlError);
    expect((error as Error).message).toBe(message);
  });

  it('reports a syntax error with the parser message', async () => {
    await expect(parseViewSql('SELEC status FROM orders')).rejects.toThrow(
      /^invalid view SQL: syntax error at or near "SELEC"/,
    );
  });
});
