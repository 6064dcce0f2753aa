import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@distributary/core';
import { parseConfig, redactConfig, rewriteFilterParams } from './index';
import { BASE_CONFIG } from './test-support/base-config';

const parse = (yaml: string, env: Record<string, string> = {}) =>
  parseConfig(yaml, { file: join(tmpdir(), 'gateway.yaml'), env });

const SECRET = 'k'.repeat(40);
const GATEWAY = `
gateway:
  keys: [{ kid: k1, secret: \${GW_SECRET} }]
subscriptions:
  - name: products-by-category
    table: public.products
    filter: "category_id = :category and status != 'x:y'"
    params: [category]
    columns: [id, name, price]
`;

function failure(yaml: string): string {
  try {
    parse(yaml, { GW_SECRET: SECRET });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('gateway and subscriptions configuration', () => {
  it('parses a top-N window (order, limit) and refuses a bad one', () => {
    const config = parse(
      BASE_CONFIG + GATEWAY + `    order: [{ column: price, direction: desc }, { column: name }]\n    limit: 10\n`,
      { GW_SECRET: SECRET },
    );
    expect(config.subscriptions?.[0]).toMatchObject({
      order: [
        { column: 'price', direction: 'desc' },
        { column: 'name', direction: 'asc' },
      ],
      limit: 10,
    });
    expect(failure(BASE_CONFIG + GATEWAY + `    order: [{ column: price }, { column: price }]\n`)).toMatch(
      /ordered by twice/,
    );
    expect(failure(BASE_CONFIG + GATEWAY + `    order: [{ column: price, direction: up }]\n`)).toMatch(/direction/);
    expect(failure(BASE_CONFIG + GATEWAY + `    order: [{ column: "price; DROP" }]\n`)).toMatch(/column/);
    expect(failure(BASE_CONFIG + GATEWAY + `    limit: 0\n`)).toMatch(/limit/);
  });

  it('is optional: existing configurations have neither', () => {
    const config = parse(BASE_CONFIG);
    expect(config.gateway).toBeUndefined();
    expect(config.subscriptions).toBeUndefined();
  });

  it('parses keys, defaults and subscriptions; the secret is redacted', () => {
    const config = parse(BASE_CONFIG + GATEWAY, { GW_SECRET: SECRET });
    expect(config.gateway).toEqual({
      port: 8090,
      host: '127.0.0.1',
      keys: [{ kid: 'k1', secret: SECRET }],
      heartbeat: 15_000,
      afterTimeout: 30_000,
      maxBufferBytes: 1_048_576,
    });
    expect(config.subscriptions?.[0]).toMatchObject({ name: 'products-by-category', params: ['category'] });
    expect(JSON.stringify(redactConfig(config))).not.toContain(SECRET);
  });

  it('refuses a short secret, an undeclared parameter, duplicate names and unknown tables', () => {
    expect(failure(BASE_CONFIG + GATEWAY.replace('${GW_SECRET}', 'short'))).toContain('at least 32');
    expect(failure(BASE_CONFIG + GATEWAY.replace('params: [category]', 'params: []'))).toContain(
      'uses :category, which is not declared',
    );
    const twice = GATEWAY + GATEWAY.slice(GATEWAY.indexOf('  - name')).replace('subscriptions:\n', '');
    expect(failure(BASE_CONFIG + twice)).toContain('unique subscription name');
    expect(failure(BASE_CONFIG + GATEWAY.replace('table: public.products', 'table: public.nope'))).toContain(
      'source.tables',
    );
    const withoutGateway = GATEWAY.slice(GATEWAY.indexOf('subscriptions:'));
    expect(failure(BASE_CONFIG + withoutGateway)).toContain('need a `gateway` section');
  });

  it('rewrites :name parameters outside strings and comments only', () => {
    expect(rewriteFilterParams(`a = :p and b = ":q" and c = ':r' /* :s */ and (x ? 1 : 2)`)).toEqual({
      expression: `a = $__param_p and b = ":q" and c = ':r' /* :s */ and (x ? 1 : 2)`,
      params: ['p'],
    });
  });
});
