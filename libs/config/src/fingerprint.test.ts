import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { diffSinks, parseConfig, sinkFingerprints, stableStringify, type SinkConfig } from './index';
import { BASE_CONFIG, edit } from './test-support/base-config';

const sinksOf = (yaml: string): SinkConfig[] => parseConfig(yaml, { file: 'c.yaml', env: {} }).sinks;

describe('diffSinks', () => {
  const before = sinkFingerprints(sinksOf(BASE_CONFIG));

  it('nothing changed: every sink unchanged', () => {
    expect(diffSinks(before, sinksOf(BASE_CONFIG))).toEqual({
      added: [],
      changed: [],
      removed: [],
      unchanged: ['search', 'cache', 'sales'],
    });
  });

  it('a new sink is bootstrapped, a removed one dropped', () => {
    const yaml = edit('- name: cache', '- name: cache-v2');
    const diff = diffSinks(before, sinksOf(yaml));
    expect(diff.added).toEqual([{ name: 'cache-v2', action: 'bootstrap', changed: [] }]);
    expect(diff.removed).toEqual([{ name: 'cache', action: 'drop', changed: [] }]);
    expect(diff.unchanged).toEqual(['search', 'sales']);
  });

  it('a shape change (key template, SQL, mapping) means rebuild', () => {
    const yaml = edit('key: "product:{id}"', 'key: "p:{id}"', edit('AS orders FROM', 'AS n FROM'));
    expect(diffSinks(before, sinksOf(yaml)).changed).toEqual([
      { name: 'cache', action: 'rebuild', changed: ['shape'] },
      { name: 'sales', action: 'rebuild', changed: ['shape'] },
    ]);
  });

  it('a connection-only change needs nothing', () => {
    const yaml = edit(
      'url: "http://es:9200"',
      'url: "http://es-2:9200"',
      edit('"redis://cache:6379"', '"redis://cache-2:6379"'),
    );
    expect(diffSinks(before, sinksOf(yaml)).changed).toEqual([
      { name: 'search', action: 'none', changed: ['connection'] },
      { name: 'cache', action: 'none', changed: ['connection'] },
    ]);
  });

  it('a change of kind under the same name means rebuild', () => {
    const previous = { ...before, cache: { ...before.cache, kind: 'elasticsearch' as const } };
    expect(diffSinks(previous, sinksOf(BASE_CONFIG)).changed).toEqual([
      { name: 'cache', action: 'rebuild', changed: ['kind'] },
    ]);
  });

  it('a redis cache fingerprinted before the layout-2 companion keys is rebuilt; other kinds are not', () => {
    // What a run before layout 2 recorded: the hash of the configuration alone, without its connection.
    const connectionFields: Record<string, string[]> = {
      elasticsearch: ['url'],
      redis: ['url', 'cluster'],
      view: ['postgres'],
    };
    const sinks = sinksOf(BASE_CONFIG);
    const previous = structuredClone(before);
    for (const sink of sinks) {
      const config = structuredClone(sink) as unknown as Record<string, Record<string, unknown> | undefined>;
      for (const [target, fields] of Object.entries(connectionFields))
        for (const field of fields) delete config[target]?.[field];
      const shape = createHash('sha256').update(stableStringify(config)).digest('hex').slice(0, 16);
      previous[sink.name] = { ...previous[sink.name], shape };
    }
    expect(diffSinks(previous, sinks).changed).toEqual([{ name: 'cache', action: 'rebuild', changed: ['shape'] }]);
  });

  it('fingerprints do not depend on key order or spelling of defaults', () => {
    const reordered = edit(
      '    redis: { url: "redis://cache:6379" }\n    from: products\n',
      '    from: public.products\n    redis: { url: "redis://cache:6379" }\n',
    );
    expect(sinkFingerprints(sinksOf(reordered))).toEqual(before);
    expect(stableStringify({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});
