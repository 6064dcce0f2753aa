/** A valid configuration used by the tests; cases edit one line of it. */
export const BASE_CONFIG = `source:
  postgres: { url: "postgres://app:pg-secret@db:5432/shop" }
  tables: [public.products, public.categories, public.orders]
log:
  redis: { url: "redis://127.0.0.1:16379" }
sinks:
  - name: search
    elasticsearch: { url: "http://es:9200", index: products }
    from: public.products
    document:
      category: { from: public.categories, on: { id: category_id }, fields: [name] }
  - name: cache
    redis: { url: "redis://cache:6379" }
    from: products
    key: "product:{id}"
  - name: sales
    view: { postgres: "postgres://app:pg-secret@db:5432/shop", table: analytics.sales }
    sql: SELECT category_id, count(*) AS orders FROM public.orders GROUP BY category_id
`;

/** BASE_CONFIG with `find` (which must occur exactly once) replaced. */
export function edit(find: string, replace: string, text = BASE_CONFIG): string {
  const at = text.indexOf(find);
  if (at < 0 || text.indexOf(find, at + 1) >= 0) throw new Error(`edit: "${find}" must occur exactly once`);
  return text.slice(0, at) + replace + text.slice(at + find.length);
}
