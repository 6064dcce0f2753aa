import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@distributary/core';
import { loadConfig, parseConfig, redactConfig, resolveConfigPath } from './index';
import { BASE_CONFIG, edit } from './test-support/base-config';

const dir = mkdtempSync(join(tmpdir(), 'distributary-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parse = (yaml: string, env: Record<string, string> = {}) => parseConfig(yaml, { file: join(dir, 'c.yaml'), env });

describe('valid configurations', () => {
  it('parses the base configuration and fills in defaults', () => {
    const config = parse(BASE_CONFIG);
    expect(config.source.postgres).toEqual({
      url: 'postgres://app:pg-secret@db:5432/shop',
      slot: 'distributary',
      publication: 'distributary',
      snapshot: 'initial',
      heartbeat: 10_000,
      ...(config.source.postgres as object), // teammates may add defaulted options
    });
    expect(config.source.tables).toEqual(['public.products', 'public.categories', 'public.orders']);
    expect(config.log.namespace).toBe('distributary');
    expect(config.log.partitions).toBe(8);
    expect(config.log.retention).toMatchObject({ mode: 'compact', tombstones: 86_400_000, minLag: 600_000 });
    expect(config.admin).toEqual({
      port: 8080,
      host: '127.0.0.1',
      tokens: [],
      audit: { enabled: true, maxEntries: 10_000 },
    });
    expect(config.sinks.map((s) => s.name)).toEqual(['search', 'cache', 'sales']);
    // Bare table names mean public.<name>.
    expect(config.sinks[1]).toMatchObject({ from: 'public.products', key: 'product:{id}' });
  });

  it('accepts durations in words and milliseconds', () => {
    const config = parse(
      edit(
        'redis: { url: "redis://127.0.0.1:16379" }\n',
        'redis: { url: "redis://127.0.0.1:16379" }\n  retention: { tombstones: 2h, minLag: 1500 }\n',
      ),
    );
    expect(config.log.retention.tombstones).toBe(7_200_000);
    expect(config.log.retention.minLag).toBe(1500);
  });

  it('accepts a Redis Cluster for the log', () => {
    const config = parse(
      edit(
        'redis: { url: "redis://127.0.0.1:16379" }',
        'redis: { cluster: ["redis://127.0.0.1:17001", "redis://127.0.0.1:17002"] }',
      ),
    );
    expect(config.log.redis).toEqual({ cluster: ['redis://127.0.0.1:17001', 'redis://127.0.0.1:17002'] });
  });

  it('a configuration without sinks is valid', () => {
    const config = parse(BASE_CONFIG.slice(0, BASE_CONFIG.indexOf('sinks:')));
    expect(config.sinks).toEqual([]);
  });
});

describe('interpolation', () => {
  const PG = 'url: "postgres://app:pg-secret@db:5432/shop"';

  it('${VAR} takes the environment variable, inside a flow mapping too', () => {
    const config = parse(edit(PG, 'url: ${PG_URL}'), { PG_URL: 'postgres://u@h/db' });
    expect(config.source.postgres.url).toBe('postgres://u@h/db');
  });

  it('${VAR:-default} falls back when unset or empty', () => {
    const yaml = edit(PG, 'url: ${PG_URL:-postgres://fallback@h/db}');
    expect(parse(yaml).source.postgres.url).toBe('postgres://fallback@h/db');
    expect(parse(yaml, { PG_URL: '' }).source.postgres.url).toBe('postgres://fallback@h/db');
    expect(parse(yaml, { PG_URL: 'postgres://set@h/db' }).source.postgres.url).toBe('postgres://set@h/db');
  });

  it('references work inside a longer value', () => {
    const config = parse(edit(PG, 'url: "postgres://app:${PG_PASSWORD}@${PG_HOST:-db}:5432/shop"'), {
      PG_PASSWORD: 'p@ss',
    });
    expect(config.source.postgres.url).toBe('postgres://app:p@ss@db:5432/shop');
  });

  it('an unquoted whole reference to a number becomes a number; a quoted one stays text', () => {
    const withPartitions = (value: string) =>
      edit(
        'redis: { url: "redis://127.0.0.1:16379" }\n',
        `redis: { url: "redis://127.0.0.1:16379" }\n  partitions: ${value}\n`,
      );
    expect(parse(withPartitions('${PARTITIONS:-4}')).log.partitions).toBe(4);
    expect(parse(withPartitions('${PARTITIONS}'), { PARTITIONS: '16' }).log.partitions).toBe(16);
    expect(() => parse(withPartitions('"${PARTITIONS:-4}"'))).toThrow(
      'log.partitions (line 6:15): expected a number, found "4"',
    );
  });

  it('${file:…} reads a secret file (absolute, or relative to the config file), without its trailing newline', () => {
    writeFileSync(join(dir, 'pg-url'), 'postgres://app:from-file@db/shop\n');
    expect(parse(edit(PG, `url: "\${file:${join(dir, 'pg-url')}}"`)).source.postgres.url).toBe(
      'postgres://app:from-file@db/shop',
    );
    expect(parse(edit(PG, 'url: "${file:pg-url}"')).source.postgres.url).toBe('postgres://app:from-file@db/shop');
  });

  it('$${…} is a literal ${…}', () => {
    const config = parse(edit('key: "product:{id}"', 'key: "product:{id}:$${literal}"'));
    expect(config.sinks[1]).toMatchObject({ key: 'product:{id}:${literal}' });
  });

  it('a missing variable names the variable and the path', () => {
    expect(() => parse(edit(PG, 'url: ${PG_URL}'))).toThrow(
      'source.postgres.url (line 2:20): environment variable PG_URL is not set (set it, or give a default: ${PG_URL:-value})',
    );
  });

  it('a value from a secret file is never printed, even when it is invalid', () => {
    writeFileSync(join(dir, 'bad-url'), 'mysql://root:file-secret@db/shop');
    let message = '';
    try {
      parse(edit(PG, 'url: "${file:bad-url}"'));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      'source.postgres.url (line 2:20): expected a postgres:// URL like postgres://host:port, found "***" (secret)',
    );
    expect(message).not.toContain('file-secret');
  });
});

describe('admin tokens', () => {
  it('come from the file and from DISTRIBUTARY_ADMIN_TOKENS', () => {
    const yaml = `admin:\n  port: 9090\n  tokens: [{ token: "\${OPS_TOKEN}", role: operator }]\n${BASE_CONFIG}`;
    const config = parse(yaml, {
      OPS_TOKEN: 'operator-token-1',
      DISTRIBUTARY_ADMIN_TOKENS: 'viewer:viewer-token-1, viewer:viewer-token-2',
    });
    expect(config.admin.port).toBe(9090);
    expect(config.admin.tokens).toEqual([
      { token: 'operator-token-1', role: 'operator' },
      { token: 'viewer-token-1', role: 'viewer' },
      { token: 'viewer-token-2', role: 'viewer' },
    ]);
  });
});

describe('redactConfig', () => {
  it('removes URL passwords and tokens, and leaves the rest', () => {
    const yaml = `admin: { tokens: [{ token: "very-secret-token", role: viewer }] }\n${edit(
      'redis: { url: "redis://127.0.0.1:16379" }',
      'redis: { url: "redis://:redis-secret@127.0.0.1:16379" }',
    )}`;
    const config = parse(yaml);
    const shown = JSON.stringify(redactConfig(config));
    for (const secret of ['pg-secret', 'redis-secret', 'very-secret-token']) expect(shown).not.toContain(secret);
    const redacted = redactConfig(config);
    expect(redacted.source.postgres.url).toBe('postgres://app:***@db:5432/shop');
    expect(redacted.log.redis).toEqual({ url: 'redis://:***@127.0.0.1:16379' });
    expect(redacted.admin.tokens).toEqual([{ token: '***', role: 'viewer' }]);
    expect(redacted.sinks.map((s) => s.name)).toEqual(['search', 'cache', 'sales']);
    // The original is untouched.
    expect(config.admin.tokens[0].token).toBe('very-secret-token');
  });
});

describe('loadConfig', () => {
  it('reads a file', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, BASE_CONFIG);
    expect(loadConfig(file, { env: {} }).sinks).toHaveLength(3);
  });

  it('a missing file is a ConfigError naming the file', () => {
    const file = join(dir, 'nope.yaml');
    expect(() => loadConfig(file)).toThrow(ConfigError);
    expect(() => loadConfig(file)).toThrow(
      `invalid configuration in ${file}:\n  - (file): cannot read the configuration: the file does not exist`,
    );
  });

  it('loads the example shop pipeline with its local defaults', () => {
    const config = loadConfig(resolve(__dirname, '../../../examples/shop/distributary.yaml'), { env: {} });
    expect(config.source.postgres.url).toBe('postgres://postgres@127.0.0.1:15432/shop');
    expect(config.log.namespace).toBe('shop');
    expect(config.sinks.map((s) => s.name)).toEqual(['product-search', 'product-cache', 'sales-by-category']);
  });

  it('resolves the config path: --config, then DISTRIBUTARY_CONFIG, then ./distributary.yaml', () => {
    expect(resolveConfigPath('/etc/d.yaml', { DISTRIBUTARY_CONFIG: '/x.yaml' })).toBe('/etc/d.yaml');
    expect(resolveConfigPath(undefined, { DISTRIBUTARY_CONFIG: '/x.yaml' })).toBe('/x.yaml');
    expect(resolveConfigPath(undefined, {})).toBe(resolve('distributary.yaml'));
  });
});
