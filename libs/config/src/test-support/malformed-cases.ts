/** Malformed configurations, each a small edit of BASE_CONFIG (see load.test.ts for the messages). */
import { BASE_CONFIG, edit } from './base-config';

export interface MalformedCase {
  name: string;
  yaml: string;
  env?: Record<string, string>;
}

const PG = '{ url: "postgres://app:pg-secret@db:5432/shop" }';
const LOG_REDIS = 'redis: { url: "redis://127.0.0.1:16379" }\n';
const withSourceOption = (option: string): string =>
  edit(`${PG}\n`, `{ url: "postgres://app:pg-secret@db:5432/shop", ${option} }\n`);
const withLogOption = (option: string): string => edit(LOG_REDIS, `${LOG_REDIS}  ${option}\n`);

export const MALFORMED: MalformedCase[] = [
  { name: 'YAML syntax error', yaml: edit('tables: [public.products,', 'tables: [public.products,,') },
  { name: 'inconsistent indentation', yaml: edit('log:\n', 'log:\n   x: 1\n') },
  { name: 'duplicate key', yaml: edit('log:\n', 'log:\n  partitions: 2\n  partitions: 3\n') },
  { name: 'a list at the root', yaml: '- source\n- log\n' },
  { name: 'an empty file', yaml: '' },
  { name: 'unknown root key', yaml: `sources: {}\n${BASE_CONFIG}` },
  { name: 'a __proto__ key', yaml: withLogOption('__proto__: { partitions: 3 }') },
  { name: 'missing source', yaml: BASE_CONFIG.slice(BASE_CONFIG.indexOf('log:')) },
  { name: 'missing postgres url', yaml: edit(PG, '{ slot: shop }') },
  { name: 'not a postgres url (password redacted)', yaml: edit(PG, '{ url: "mysql://app:pg-secret@db/shop" }') },
  { name: 'bad slot name', yaml: withSourceOption('slot: My-Slot') },
  { name: 'unknown snapshot mode', yaml: withSourceOption('snapshot: always') },
  { name: 'bad duration', yaml: withSourceOption('heartbeat: 10 seconds') },
  { name: 'no tables', yaml: edit('tables: [public.products, public.categories, public.orders]', 'tables: []') },
  {
    name: 'tables not a list',
    yaml: edit('tables: [public.products, public.categories, public.orders]', 'tables: public.products'),
  },
  {
    name: 'upper-case table name',
    yaml: edit('tables: [public.products,', 'tables: [public.Products, public.products,'),
  },
  {
    name: 'log redis with url and cluster',
    yaml: edit(LOG_REDIS, 'redis: { url: "redis://a", cluster: ["redis://b"] }\n'),
  },
  { name: 'log redis empty', yaml: edit(LOG_REDIS, 'redis: {}\n') },
  { name: 'log redis not a redis url', yaml: edit(LOG_REDIS, 'redis: { url: "http://127.0.0.1:16379" }\n') },
  { name: 'empty cluster', yaml: edit(LOG_REDIS, 'redis: { cluster: [] }\n') },
  { name: 'zero partitions', yaml: withLogOption('partitions: 0') },
  { name: 'partitions as a word', yaml: withLogOption('partitions: eight') },
  { name: 'fractional partitions', yaml: withLogOption('partitions: 2.5') },
  { name: 'too many partitions', yaml: withLogOption('partitions: 5000') },
  { name: 'unknown retention mode', yaml: withLogOption('retention: { mode: forever }') },
  { name: 'bad namespace', yaml: withLogOption('namespace: "My NS"') },
  { name: 'sinks not a list', yaml: edit('sinks:\n', 'sinks: {}\nold_sinks:\n') },
  { name: 'sink is a scalar', yaml: edit('sinks:\n', 'sinks:\n  - just-a-name\n') },
  { name: 'sink with no kind', yaml: edit('    elasticsearch: { url: "http://es:9200", index: products }\n', '') },
  {
    name: 'sink with two kinds',
    yaml: edit(
      '    redis: { url: "redis://cache:6379" }\n',
      '    redis: { url: "redis://cache:6379" }\n    view: { postgres: "postgres://x/y", table: a.b }\n',
    ),
  },
  { name: 'bad sink name', yaml: edit('- name: search', '- name: Search_1') },
  { name: 'sink without name', yaml: edit('  - name: search\n    elasticsearch', '  - elasticsearch') },
  { name: 'duplicate sink names', yaml: edit('- name: cache', '- name: search') },
  {
    name: 'sink from a table not in source.tables',
    yaml: edit('    from: public.products\n', '    from: public.reviews\n'),
  },
  { name: 'joined table not in source.tables', yaml: edit('{ from: public.categories', '{ from: public.brands') },
  { name: 'view SQL reads a table not in source.tables', yaml: edit('FROM public.orders', 'FROM public.order_lines') },
  { name: 'elasticsearch url without scheme', yaml: edit('url: "http://es:9200"', 'url: "es:9200"') },
  { name: 'admin port out of range', yaml: `admin: { port: 70000 }\n${BASE_CONFIG}` },
  { name: 'admin token role', yaml: `admin: { tokens: [{ token: "0123456789abcdef", role: root }] }\n${BASE_CONFIG}` },
  {
    name: 'admin token too short (redacted)',
    yaml: `admin: { tokens: [{ token: "abc", role: viewer }] }\n${BASE_CONFIG}`,
  },
  { name: 'admin unknown key', yaml: `admin: { listen: 8080 }\n${BASE_CONFIG}` },
  { name: 'unset variable', yaml: edit('"redis://cache:6379"', '${CACHE_URL}') },
  { name: 'malformed reference', yaml: edit('"redis://cache:6379"', '"${cache url}"') },
  { name: 'missing secret file', yaml: edit('"redis://cache:6379"', '"${file:/nonexistent/distributary-secret}"') },
  {
    name: 'bad admin token in the environment',
    yaml: BASE_CONFIG,
    env: { DISTRIBUTARY_ADMIN_TOKENS: 'viewer:abcdefghijk,root:zzzzzzzzzzzzz' },
  },
  {
    name: 'secret from a variable is never shown',
    yaml: edit(`url: "postgres://app:pg-secret@db:5432/shop" }\n  tables`, `url: "\${PG_PASSWORD}" }\n  tables`),
    env: { PG_PASSWORD: 'hunter2-secret' },
  },
  { name: 'reference default of the wrong type', yaml: withLogOption('partitions: ${PARTITIONS:-zero}') },
  {
    name: 'several problems at once, in file order',
    yaml: edit('- name: cache', '- name: Cache', withLogOption('partitions: 0')),
  },
];
