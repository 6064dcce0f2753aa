import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@distributary/observability';
import { esUrl, uniqueName } from '@distributary/testkit';
import { IndexManager } from './index-manager';
import type { IndexBody } from './index-body';

/**
 * Two workers of one sink opening at the same moment on a fresh alias: the first looks for the alias
 * (none yet), the second creates `<alias>_v1` and the alias, then the first asks whether an index of the
 * alias's name exists — which Elasticsearch answers yes for an alias too. The first worker used to take
 * that for a plain index of that name and refuse to open ("an index named … exists"): in figure 7 that
 * worker never joined. Both workers now open on the one index. The interleaving is made certain by
 * holding the first worker's alias answer (from the real Elasticsearch) until the second has created it.
 */
const client = new Client({ node: esUrl() });
const prefix = uniqueName('h1_alias_race');
const body: IndexBody = {
  settings: { number_of_replicas: 0 },
  mappings: { _meta: { distributary: { sink: 'products', pipeline: 'race', fingerprint: 'f1' } } },
};

/** The same client, whose first getAlias answer reaches the caller only after `meanwhile` has run. */
function holdingFirstAliasAnswer(real: Client, meanwhile: () => Promise<unknown>): Client {
  let held = false;
  const indices = new Proxy(real.indices, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      if (key !== 'getAlias') return value.bind(target);
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          if (!held) {
            held = true;
            await meanwhile();
          }
        }
      };
    },
  });
  return new Proxy(real, { get: (target, key) => (key === 'indices' ? indices : Reflect.get(target, key)) });
}

afterAll(async () => {
  await client.indices.delete({ index: `${prefix}*`, expand_wildcards: 'all' }).catch(() => undefined);
  await client.close();
});

describe('IndexManager.ensure', () => {
  it('opens on the index another worker created between its look for the alias and its index check', async () => {
    const alias = `${prefix}_a`;
    const owner = { pipeline: 'race', sink: 'products' };
    const second = new IndexManager(client, alias, silentLogger, owner);
    let createdBySecond: string | undefined;
    const first = new IndexManager(
      holdingFirstAliasAnswer(client, async () => {
        createdBySecond = await second.ensure(body);
      }),
      alias,
      silentLogger,
      owner,
    );
    const openedByFirst = await first.ensure(body);
    expect(createdBySecond).toBe(`${alias}_v1`);
    expect(openedByFirst).toBe(`${alias}_v1`);
    const aliases = await client.indices.getAlias({ name: alias });
    expect(Object.keys(aliases)).toEqual([`${alias}_v1`]);
  });

  it('still refuses a plain index named like the alias', async () => {
    const alias = `${prefix}_plain`;
    await client.indices.create({ index: alias, settings: { number_of_replicas: 0 } });
    await expect(new IndexManager(client, alias, silentLogger).ensure(body)).rejects.toThrow(
      `an index named ${alias} exists`,
    );
  });
});
