import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from './program';
import { runInProcess } from './test-support/in-process';
import { runCli } from './test-support/run-cli';

const dir = mkdtempSync(join(tmpdir(), 'distributary-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLE = 'examples/shop/distributary.yaml';
const BAD_FILE = join(dir, 'bad.yaml');
writeFileSync(
  BAD_FILE,
  [
    'source:',
    '  postgres: { url: "mysql://app:pg-secret-3@db/shop" }',
    '  tables: [public.products]',
    'log:',
    '  redis: { url: "redis://127.0.0.1:16379" }',
    '  partitions: 0',
    'sinks:',
    '  - name: cache',
    '    from: public.products',
    '    key: "p:{id}"',
    '',
  ].join('\n'),
);

// The child processes (the real `distributary` command) start together; each test awaits its own.
const children = {
  example: runCli(['validate', '--config', EXAMPLE], {
    PG_URL: 'postgres://shop:pg-secret-1@127.0.0.1:15432/shop',
    SHOP_OPERATOR_TOKEN: 'operator-secret-token',
  }),
  bad: runCli(['validate', '--config', BAD_FILE]),
  bin: runCli(['validate', '--config', BAD_FILE], {}, 'bin'),
};

describe('distributary validate', () => {
  it('prints OK and a summary for the example, with no secret in it', async () => {
    const result = await children.example;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^OK .*examples\/shop\/distributary\.yaml$/);
    expect(lines).toContain('source: postgres://shop:***@127.0.0.1:15432/shop');
    expect(lines).toContain('        4 tables: public.categories, public.products, public.customers, public.orders');
    expect(lines).toContain('        namespace shop, 8 partitions, retention compact (tombstones 1d, minLag 10m)');
    expect(lines).toContain('sinks:  3');
    expect(lines).toContain(
      '  - product-search (elasticsearch): public.products, public.categories -> index shop-products at http://127.0.0.1:19200',
    );
    expect(lines).toContain('admin:  port 8080, 1 token (0 viewer, 1 operator)');
    expect(result.stdout).not.toContain('pg-secret-1');
    expect(result.stdout).not.toContain('operator-secret-token');
  });

  it('--json prints the validated configuration with secrets redacted', async () => {
    process.env.DISTRIBUTARY_CONFIG = EXAMPLE;
    process.env.LOG_REDIS_URL = 'redis://:redis-secret-2@127.0.0.1:16379/0';
    const result = await runInProcess(['validate', '--json']).finally(() => {
      delete process.env.DISTRIBUTARY_CONFIG;
      delete process.env.LOG_REDIS_URL;
    });
    expect(result.code).toBe(0);
    const config = JSON.parse(result.stdout) as { log: { redis: { url: string } }; admin: { tokens: unknown[] } };
    expect(config.log.redis.url).toBe('redis://:***@127.0.0.1:16379/0');
    expect(config.admin.tokens).toEqual([{ role: 'operator', token: '***' }]);
    expect(result.stdout).not.toContain('redis-secret-2');
    expect(result.stdout).not.toContain('shop-local-operator-token');
  });

  it('prints every error and exits 2 on a bad file, without secrets', async () => {
    const file = BAD_FILE;
    const result = await children.bad;
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `invalid configuration in ${file}:\n` +
        '  - source.postgres.url (line 2:20): expected a postgres:// URL like postgres://host:port, found "mysql://app:***@db/shop"\n' +
        '  - log.partitions (line 6:15): expected a number >= 1, found number 0\n' +
        '  - sinks[0] (line 8:5): expected exactly one of elasticsearch / redis / view in sink "cache", found none (keys: name, from, key)\n',
    );
  });

  it('the bin launcher (package.json "bin": distributary) behaves the same', async () => {
    const [viaNode, viaBin] = await Promise.all([children.bad, children.bin]);
    expect(viaBin).toEqual(viaNode);
  });

  it('names an unset variable and exits 2', async () => {
    const file = join(dir, 'unset.yaml');
    writeFileSync(
      file,
      'source:\n  postgres: { url: ${DISTRIBUTARY_TEST_UNSET_URL} }\n  tables: [a]\nlog:\n  redis: { url: "redis://h" }\n',
    );
    const result = await runInProcess(['validate', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '  - source.postgres.url (line 2:20): environment variable DISTRIBUTARY_TEST_UNSET_URL is not set (set it, or give a default: ${DISTRIBUTARY_TEST_UNSET_URL:-value})',
    );
  });

  it('parses view SQL with the real parser and refuses what the view sink cannot maintain', async () => {
    const file = join(dir, 'having.yaml');
    writeFileSync(
      file,
      [
        'source:',
        '  postgres: { url: "postgres://db/shop" }',
        '  tables: [public.orders]',
        'log:',
        '  redis: { url: "redis://h" }',
        'sinks:',
        '  - name: sales',
        '    view: { postgres: "postgres://db/shop", table: analytics.sales }',
        '    sql: SELECT category_id, count(*) AS n FROM public.orders GROUP BY category_id HAVING count(*) > 1',
        'admin: { tokens: [{ role: viewer, token: test-viewer-token }] }',
        '',
      ].join('\n'),
    );
    const result = await runInProcess(['validate', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `invalid configuration in ${file}:\n  - sinks[0].sql (line 9:10): unsupported in view SQL: HAVING\n`,
    );
  });

  it('a missing file exits 2 naming it', async () => {
    const result = await runInProcess(['validate', '--config', join(dir, 'missing.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('(file): cannot read the configuration: the file does not exist');
  });
});

describe('commands', () => {
  it('every command has --help with --config', () => {
    const program = buildProgram();
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual([
      'validate',
      'run',
      'status',
      'snapshot',
      'compact',
      'replay',
      'dlq',
      'verify',
      'resync',
      'token',
      'client',
    ]);
    for (const command of program.commands) {
      const leaves = command.commands.length ? command.commands : [command];
      for (const leaf of leaves) {
        expect(leaf.helpInformation()).toContain('--config <file>');
        expect(leaf.description()).not.toBe('');
      }
    }
    const dlq = program.commands.find((c) => c.name() === 'dlq');
    expect(dlq?.commands.map((c) => c.name())).toEqual(['list', 'replay', 'drop']);
  });
});
