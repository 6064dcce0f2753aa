import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { elasticsearchSinkSchema } from '@distributary/config';
import { createElasticsearchSink } from '@distributary/sink-elasticsearch';
import { PgSourceRows } from '@distributary/pg-snapshot';
import { createTestDatabase, esUrl, uniqueName } from '@distributary/testkit';
import { sinkConfig } from './helpers';

const designSketch = `
name: product-search
elasticsearch: { url: http://127.0.0.1:19200, index: products }
from: public.products
id: "{id}"
document: { name: name, price: price,
            category: { from: public.categories, on: { id: category_id }, fields: [name] } }
`;

describe('elasticsearch sink config', () => {
  it("accepts DESIGN.md's sketch and fills the defaults", () => {
    const config = elasticsearchSinkSchema.parse(parse(designSketch));
    expect(config.elasticsearch).toMatchObject({
      gcDeletes: 3_600_000,
      bulk: { maxDocs: 1000, maxBytes: 5 * 1024 * 1024, linger: 50, concurrency: 8 },
    });
    const sink = createElasticsearchSink(config, { source: new PgSourceRows('postgres://127.0.0.1:1/none') });
    expect([...sink.tables]).toEqual(['public.products', 'public.categories']);
  });

  it('accepts children with ordering, JSONata fields and a composite id', () => {
    const config = elasticsearchSinkSchema.parse(
      parse(`
name: orders
elasticsearch: { url: http://es:9200, index: orders, gcDeletes: 2h, bulk: { maxDocs: 500, linger: 10ms } }
from: shop.orders
id: "{tenant_id}:{id}"
document:
  total: { expr: "$number(amount) * 100" }
  lines: { children: shop.order_lines, on: { order_id: id, tenant_id: tenant_id }, fields: [sku, qty], orderBy: [qty desc, sku] }
`),
    );
    expect(config.elasticsearch.gcDeletes).toBe(7_200_000);
    expect(config.elasticsearch.bulk.linger).toBe(10);
  });

  it('names the path of what is wrong', () => {
    const bad = (input: string): string[] => {
      const result = elasticsearchSinkSchema.safeParse(parse(input));
      expect(result.success).toBe(false);
      return (result.error?.issues ?? []).map((i) => i.path.join('.'));
    };
    const base = `name: s\nelasticsearch: { url: http://es:9200, index: p }\nfrom: products\n`;
    expect(bad(`${base}id: "no-columns"`)).toContain('id');
    expect(bad(`${base}document: { c: { children: reviews, on: {} } }`).join()).toMatch(/document\.c/);
    expect(bad(`${base}document: { c: { children: reviews, on: { a: b }, orderBy: "x; drop table" } }`)).toContain(
      'document.c.orderBy',
    );
    expect(bad(`name: s\nelasticsearch: { url: http://es:9200, index: Products }\nfrom: products\n`)).toContain(
      'elasticsearch.index',
    );
  });

  it('exports as JSON Schema for editors, with the descriptions', () => {
    const schema = JSON.stringify(z.toJSONSchema(elasticsearchSinkSchema, { io: 'input' }));
    expect(schema).toMatch(/Many-to-one lookup/);
  });

  it('refuses an invalid JSONata expression when the sink is built', () => {
    const config = sinkConfig({
      name: 's',
      elasticsearch: { url: esUrl(), index: 'x' },
      from: 'public.p',
      document: { a: { expr: '$sum(' } },
    });
    expect(() => createElasticsearchSink(config, { source: new PgSourceRows('postgres://127.0.0.1:1/none') })).toThrow(
      /document\.a: invalid JSONata/,
    );
  });

  it('refuses to open when the document names a column the source does not have', async () => {
    const db = await createTestDatabase('h4_cfg');
    try {
      await db.sql(`CREATE TABLE p (id int PRIMARY KEY, name text); CREATE TABLE c (id int PRIMARY KEY, p_id int)`);
      const sink = createElasticsearchSink(
        sinkConfig({
          name: 's',
          elasticsearch: { url: esUrl(), index: uniqueName('h4_cfg') },
          from: 'public.p',
          document: { kids: { children: 'public.c', on: { parent_id: 'id' } } },
        }),
        { source: new PgSourceRows(db.url) },
      );
      await expect(sink.open()).rejects.toThrow(/column parent_id does not exist in public\.c/);
      await sink.close();
    } finally {
      await db.drop();
    }
  });
});
