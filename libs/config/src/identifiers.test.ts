/**
 * Any identifier works where config names a table or column: the canonical form the config loader
 * produces is read back by PostgreSQL's own parser (libpg-query) as exactly the same schema and
 * table, for arbitrary names (quotes, dots, spaces, mixed case, unicode).
 */
import fc from 'fast-check';
import { loadModule, parseSync } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalTable, parseQualifiedName, quoteIdent, splitTable } from '@distributary/core';
import { parseConfig, tablesInSql } from './index';

beforeAll(async () => {
  await loadModule();
});

function pgReads(qualified: string): { schema: string; table: string } {
  const tree = parseSync(`SELECT * FROM ${qualified}`) as unknown as {
    stmts: { stmt: { SelectStmt: { fromClause: { RangeVar: { schemaname?: string; relname: string } }[] } } }[];
  };
  const range = tree.stmts[0].stmt.SelectStmt.fromClause[0].RangeVar;
  return { schema: range.schemaname ?? 'public', table: range.relname };
}

const identifier = fc
  .string({
    unit: fc.constantFrom('a', 'Z', '_', '1', '$', '.', '"', ' ', 'é', '😀', '-', "'"),
    minLength: 1,
    maxLength: 20,
  })
  .filter((s) => Buffer.byteLength(s) <= 63);

describe('identifiers', () => {
  it('canonical names mean to PostgreSQL exactly the schema and table they were made from', () => {
    fc.assert(
      fc.property(identifier, identifier, (schema, table) => {
        const canonical = canonicalTable(schema, table);
        expect(pgReads(canonical)).toEqual({ schema, table });
        expect(splitTable(canonical)).toEqual({ schema, table });
        expect(parseQualifiedName(canonical)).toEqual({ schema, table });
        expect(pgReads(`${quoteIdent(schema)}.${quoteIdent(table)}`)).toEqual({ schema, table });
      }),
      { numRuns: 500 },
    );
  });

  it('plain names keep their old spelling', () => {
    expect(canonicalTable('public', 'products')).toBe('public.products');
    expect(parseQualifiedName('products')).toEqual({ schema: 'public', table: 'products' });
  });

  it('config accepts quoted names in source.tables, from, lookups, children, on, fields and templates', () => {
    const config = parseConfig(
      [
        'source:',
        '  postgres: { url: "postgres://h/db" }',
        `  tables: ['"Odd "" . Schema"."Odd "" . Table"', 'public."Order Items"', public.products]`,
        'log:',
        '  redis: { url: "redis://h:1" }',
        'sinks:',
        '  - name: s',
        '    elasticsearch: { url: "http://h:9200", index: s }',
        `    from: '"Odd "" . Schema"."Odd "" . Table"'`,
        `    id: '{"Odd Id"}'`,
        '    document:',
        `      n: '"Item Name"'`,
        `      items: { children: 'public."Order Items"', on: { '"Order Id"': '"Odd Id"' }, fields: ['"Qty X"'] }`,
        `      cat: { from: public.products, on: { id: '"Odd Id"' } }`,
        '  - name: v',
        '    view: { postgres: "postgres://h/db", table: analytics.v }',
        `    sql: 'SELECT "Order Id", count(*) AS n FROM public."Order Items" GROUP BY "Order Id"'`,
        '',
      ].join('\n'),
      { file: 'ids.yaml', env: {} },
    );
    expect(config.source.tables).toEqual([
      '"Odd "" . Schema"."Odd "" . Table"',
      'public."Order Items"',
      'public.products',
    ]);
    const sink = config.sinks[0] as { from: string; document: Record<string, unknown> };
    expect(splitTable(sink.from)).toEqual({ schema: 'Odd " . Schema', table: 'Odd " . Table' });
    expect(sink.document.items).toMatchObject({ on: { 'Order Id': 'Odd Id' }, fields: ['Qty X'] });
    expect(tablesInSql('SELECT 1 FROM public."Order Items" o JOIN "S"."t" x ON true')).toEqual([
      'public."Order Items"',
      '"S".t',
    ]);
  });
});
