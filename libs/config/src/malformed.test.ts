import { describe, expect, it } from 'vitest';
import { ConfigError } from '@distributary/core';
import { ConfigFileError, formatIssue, parseConfig } from './index';
import { MALFORMED } from './test-support/malformed-cases';

/** Every malformed configuration and exactly what the user is told (path, line:column, expected, found). */
const EXPECTED: Record<string, string[]> = {
  'YAML syntax error': ['(yaml) (line 3:28): not valid YAML: Unexpected , in flow sequence'],
  'inconsistent indentation': ['(yaml) (line 6:1): not valid YAML: All mapping items must start at the same column'],
  'duplicate key': ['(yaml) (line 6:3): not valid YAML: Map keys must be unique'],
  'a list at the root': ['(root): expected a mapping with source, log and sinks, found a list of 2 items'],
  'an empty file': ['(root): expected a mapping with source, log and sinks, found null (an empty value)'],
  'unknown root key': [
    'sources (line 1:1): unknown key "sources" (expected one of: source, log, sinks, admin, verify, workers, gateway, subscriptions)',
  ],
  'a __proto__ key': [
    'log.__proto__ (line 6:3): unknown key "__proto__" (expected one of: redis, namespace, partitions, retention)',
  ],
  'missing source': ['source (line 1:1): missing: expected a mapping (key: value)'],
  'missing postgres url': ['source.postgres.url (line 2:13): missing: expected a string'],
  'not a postgres url (password redacted)': [
    'source.postgres.url (line 2:20): expected a postgres:// URL like postgres://host:port, found "mysql://app:***@db/shop"',
  ],
  'bad slot name': [
    'source.postgres.slot (line 2:67): expected lower-case letters, digits and underscores, found "My-Slot"',
  ],
  'unknown snapshot mode': ['source.postgres.snapshot (line 2:71): expected one of "initial", "never", found "always"'],
  'bad duration': [
    'source.postgres.heartbeat (line 2:72): expected a duration like 500ms, 10s, 10m, 24h or 7d (at most 24d, the longest timer Node runs), found "10 seconds"',
  ],
  'no tables': ['source.tables (line 3:11): expected at least one table, found a list of 0 items'],
  'tables not a list': ['source.tables (line 3:11): expected a list, found "public.products"'],
  'upper-case table name': [
    'source.tables[0] (line 3:12): expected a table name like public.products or "My Schema"."My Table" (Products has upper case: write products, or "Products" (quoted) for a mixed-case name), found "public.Products"',
  ],
  'log redis with url and cluster': [
    'log.redis (line 5:10): expected exactly one of { url } or { cluster }, found an object with "url", "cluster"',
  ],
  'log redis empty': ['log.redis (line 5:10): expected exactly one of { url } or { cluster }, found an empty object'],
  'log redis not a redis url': [
    'log.redis.url (line 5:17): expected a redis:// URL like redis://host:port, found "http://127.0.0.1:16379"',
  ],
  'empty cluster': ['log.redis.cluster (line 5:21): expected at least one cluster node, found a list of 0 items'],
  'zero partitions': ['log.partitions (line 6:15): expected a number >= 1, found number 0'],
  'partitions as a word': ['log.partitions (line 6:15): expected a number, found "eight"'],
  'fractional partitions': ['log.partitions (line 6:15): expected a whole number, found number 2.5'],
  'too many partitions': ['log.partitions (line 6:15): expected a number <= 1024, found number 5000'],
  'unknown retention mode': ['log.retention.mode (line 6:22): expected one of "compact", "time", found "forever"'],
  'bad namespace': ['log.namespace (line 6:14): expected lower-case letters, digits, _ and -, found "My NS"'],
  'sinks not a list': [
    'sinks (line 6:8): expected a list of sinks, found an empty object',
    'old_sinks (line 7:1): unknown key "old_sinks" (expected one of: source, log, sinks, admin, verify, workers, gateway, subscriptions)',
  ],
  'sink is a scalar': [
    'sinks[0] (line 7:5): expected a sink (a mapping with name, from and one of elasticsearch / redis / view), found "just-a-name"',
  ],
  'sink with no kind': [
    'sinks[0] (line 7:5): expected exactly one of elasticsearch / redis / view in sink "search", found none (keys: name, from, document)',
  ],
  'sink with two kinds': [
    'sinks[1] (line 12:5): expected exactly one of elasticsearch / redis / view in sink "cache", found redis and view',
  ],
  'bad sink name': ['sinks[0].name (line 7:11): expected lower-case letters, digits and dashes, found "Search_1"'],
  'sink without name': ['sinks[0].name (line 7:5): missing: expected a string'],
  'duplicate sink names': [
    'sinks[1].name (line 12:11): expected a unique sink name, found "search" again (already used by sinks[0])',
  ],
  'sink from a table not in source.tables': [
    'sinks[0].from (line 9:11): expected a table listed in source.tables (public.products, public.categories, public.orders), found "public.reviews"',
  ],
  'joined table not in source.tables': [
    'sinks[0].document.category.from (line 11:25): expected a table listed in source.tables (public.products, public.categories, public.orders), found "public.brands"',
  ],
  'view SQL reads a table not in source.tables': [
    'sinks[2].sql (line 18:10): expected a table listed in source.tables (public.products, public.categories, public.orders), found "public.order_lines"',
  ],
  'elasticsearch url without scheme': [
    'sinks[0].elasticsearch.url (line 8:27): expected an http(s):// URL like http://host:port, found "es:9200"',
  ],
  'admin port out of range': ['admin.port (line 1:16): expected a number <= 65535, found number 70000'],
  'admin token role': ['admin.tokens[0].role (line 1:54): expected one of "viewer", "operator", found "root"'],
  'admin token too short (redacted)': [
    'admin.tokens[0].token (line 1:28): expected a token of at least 8 characters, found "***" (secret)',
  ],
  'admin unknown key': ['admin.listen (line 1:10): unknown key "listen" (expected one of: port, host, tokens, audit)'],
  'unset variable': [
    'sinks[1].redis.url (line 13:19): environment variable CACHE_URL is not set (set it, or give a default: ${CACHE_URL:-value})',
  ],
  'malformed reference': [
    'sinks[1].redis.url (line 13:19): expected a reference like ${NAME}, ${NAME:-default} or ${file:/path}, found "${cache url}"',
  ],
  'missing secret file': [
    'sinks[1].redis.url (line 13:19): secret file /nonexistent/distributary-secret cannot be read (ENOENT)',
  ],
  'bad admin token in the environment': [
    'env DISTRIBUTARY_ADMIN_TOKENS[1]: expected "viewer:<token>" or "operator:<token>" with a token of at least 8 characters, found "root:***"',
  ],
  'secret from a variable is never shown': [
    'source.postgres.url (line 2:20): expected a postgres:// URL like postgres://host:port, found "***" (secret)',
  ],
  'reference default of the wrong type': ['log.partitions (line 6:15): expected a number, found "zero"'],
  'several problems at once, in file order': [
    'log.partitions (line 6:15): expected a number >= 1, found number 0',
    'sinks[1].name (line 13:11): expected lower-case letters, digits and dashes, found "Cache"',
  ],
};

function problems(yaml: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(yaml, { file: 'shop.yaml', env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(ConfigFileError);
    return (error as ConfigFileError).located.map(formatIssue);
  }
  throw new Error('expected the configuration to be refused');
}

describe('malformed configurations', () => {
  it('has at least 30 cases, each with its expected messages', () => {
    expect(MALFORMED.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(EXPECTED).sort()).toEqual(MALFORMED.map((c) => c.name).sort());
  });

  it.each(MALFORMED.map((c) => [c.name, c] as const))('%s', (name, c) => {
    expect(problems(c.yaml, c.env)).toEqual(EXPECTED[name]);
  });

  it('names the file in the error message and lists every problem', () => {
    const malformed = MALFORMED.find((c) => c.name === 'several problems at once, in file order');
    expect(() => parseConfig(malformed?.yaml ?? '', { file: 'conf/shop.yaml', env: {} })).toThrow(
      'invalid configuration in conf/shop.yaml:\n' +
        '  - log.partitions (line 6:15): expected a number >= 1, found number 0\n' +
        '  - sinks[1].name (line 13:11): expected lower-case letters, digits and dashes, found "Cache"',
    );
  });

  it('never shows a secret in any message', () => {
    for (const c of MALFORMED) {
      const text = problems(c.yaml, c.env).join('\n');
      expect(text).not.toContain('pg-secret');
      expect(text).not.toContain('hunter2-secret');
      expect(text).not.toContain('zzzzzzzzzzzzz');
    }
  });
});
