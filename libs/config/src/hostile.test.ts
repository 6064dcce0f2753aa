/** Configurations written by a hostile or careless user: each is refused with the path and what was
 * expected, quickly, and no secret appears in any message (issue 17). */
import { describe, expect, it } from 'vitest';
import { ConfigFileError, formatIssue, parseConfig, redactConfig } from './index';

const ROOT = `source:
  postgres: { url: "postgres://app:pg-secret@127.0.0.1:15432/shop" }
  tables: [public.t]
log:
  redis: { url: "redis://127.0.0.1:16379" }
`;

function problems(yaml: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(yaml, { file: 'hostile.yaml', env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigFileError);
    return (error as ConfigFileError).located.map(formatIssue);
  }
  throw new Error('expected the configuration to be refused');
}

const sinks = (text: string): string => `${ROOT}sinks:\n${text}`;

const REFUSED: [string, string, string[]][] = [
  [
    'http:// without a host',
    sinks('  - { name: e, elasticsearch: { url: "http://", index: i }, from: public.t }\n'),
    ['sinks[0].elasticsearch.url', 'with a host'],
  ],
  ['port 99999', ROOT.replace('127.0.0.1:15432', '127.0.0.1:99999'), ['source.postgres.url', 'port from 1 to 65535']],
  ['a space in the host', ROOT.replace('127.0.0.1:16379', 'red is:16379'), ['log.redis.url', 'without spaces']],
  ['Redis database /thirteen', ROOT.replace('16379"', '16379/thirteen"'), ['log.redis.url', 'database number']],
  [
    'an invalid index name',
    sinks('  - { name: e, elasticsearch: { url: "http://h:9200", index: "Products!" }, from: public.t }\n'),
    ['sinks[0].elasticsearch.index', 'lower-case index name'],
  ],
  [
    'an unterminated ${ in a flow mapping',
    sinks('  - { name: r, redis: { url: ${CACHE_URL }, from: public.t, key: "k:{id}" }\n'),
    ['sinks[0].redis.url', 'unterminated'],
  ],
  ['heartbeat: 30d', ROOT.replace('shop" }', 'shop", heartbeat: 30d }'), ['source.postgres.heartbeat', 'at most 24d']],
  [
    'a timer given as milliseconds over 24 days',
    ROOT.replace('shop" }', 'shop", heartbeat: 2592000000 }'),
    ['source.postgres.heartbeat', 'at most 24d'],
  ],
  [
    'leaseRenew >= leaseTtl',
    `${ROOT.replace('  tables: [public.t]\n', '  tables: [public.t]\n  connector: { leaseTtl: 2s, leaseRenew: 2s }\n')}`,
    ['source.connector.leaseRenew', 'less than leaseTtl'],
  ],
  [
    "an Elasticsearch id template '{id}-{'",
    sinks('  - { name: e, elasticsearch: { url: "http://h:9200", index: i }, from: public.t, id: "{id}-{" }\n'),
    ['sinks[0].id', 'unclosed "{"'],
  ],
  [
    'ttl: 0',
    sinks('  - { name: r, redis: { url: "redis://h:1" }, from: public.t, key: "k:{id}", ttl: 0 }\n'),
    ['sinks[0].ttl', 'leave ttl out'],
  ],
  [
    'two sinks on one index',
    sinks(
      '  - { name: a, elasticsearch: { url: "http://h:9200", index: i }, from: public.t }\n' +
        '  - { name: b, elasticsearch: { url: "http://h:9200/", index: i }, from: public.t }\n',
    ),
    ['sinks[1].elasticsearch.index', 'sinks[0] ("a")'],
  ],
  [
    'two views on one table',
    sinks(
      '  - { name: a, view: { postgres: "postgres://h/db", table: s.v }, sql: "select 1" }\n' +
        '  - { name: b, view: { postgres: "postgres://h/db", table: s.v }, sql: "select 1" }\n',
    ),
    ['sinks[1].view.table', 'view table'],
  ],
  [
    'two caches in one key space',
    sinks(
      '  - { name: a, redis: { url: "redis://h:1" }, from: public.t, key: "p:{id}" }\n' +
        '  - { name: b, redis: { url: "redis://h:1/0" }, from: public.t, key: "p:x:{id}" }\n',
    ),
    ['sinks[1].key', 'overlapping "p:"'],
  ],
  [
    "a cache writing into the log's keys",
    sinks('  - { name: a, redis: { url: "redis://127.0.0.1:16379" }, from: public.t, key: "{id}" }\n'),
    ['sinks[0].key', "change log's keys"],
  ],
  [
    "a cache whose keys spell the log's hash tag",
    sinks('  - { name: a, redis: { url: "redis://127.0.0.1:16379" }, from: public.t, key: "{{distributary:p{id}" }\n'),
    ['sinks[0].key', 'found prefix "{distributary:p"'],
  ],
  [
    'a YAML alias bomb',
    `${ROOT}x: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n` +
      ['b', 'c', 'd', 'e', 'f', 'g', 'h']
        .map((n, i) => `${n}: &${n} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(',')}]`)
        .join('\n'),
    ['(yaml)', 'aliases'],
  ],
  ['a 2 MB file', `${ROOT}# ${'x'.repeat(2 * 1024 * 1024)}\n`, ['(yaml)', 'at most 1024 KiB']],
];

describe('hostile configurations are refused with the path and the expectation', () => {
  it.each(REFUSED)('%s', (_name, yaml, expected) => {
    const text = problems(yaml).join('\n');
    for (const part of expected) expect(text).toContain(part);
    expect(text).not.toContain('pg-secret');
  });

  it('takes a 200 kB and a 1 MB-ish string value in linear time', () => {
    for (const size of [200 * 1024, 1000 * 1024]) {
      const long = `x://${'a'.repeat(size)}`;
      const text = problems(sinks(`  - { name: e, elasticsearch: { url: "${long}", index: i }, from: public.t }\n`));
      expect(text.join('\n')).toContain('sinks[0].elasticsearch.url');
    }
  });

  it('keeps secrets out of the shown configuration: password= parameters and passwords with @', () => {
    const config = parseConfig(
      ROOT.replace('app:pg-secret@127.0.0.1:15432/shop', 'app@127.0.0.1:15432/shop?password=pg-secret').replace(
        'redis://127.0.0.1:16379',
        'redis://u:Ab@cd-secret@127.0.0.1:16379',
      ),
      { file: 'x.yaml', env: {} },
    );
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain('pg-secret');
    expect(shown).not.toContain('cd-secret');
    expect(shown).toContain('password=***');
  });

  it('accepts what it should: quoted column names in templates, hash tags, a socket host', () => {
    const config = parseConfig(
      ROOT.replace('127.0.0.1:15432/shop', '/shop?host=/var/run/postgresql') +
        'sinks:\n  - { name: r, redis: { url: "redis://h:1/3" }, from: public.t, key: \'{{{"Tenant Id"}}}:u:{id}\', ttl: 1d }\n',
      { file: 'x.yaml', env: {} },
    );
    expect(config.sinks).toHaveLength(1);
  });
});
