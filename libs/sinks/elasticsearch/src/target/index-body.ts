import { createHash } from 'node:crypto';
import type { ElasticsearchSinkConfig } from '@distributary/config';
import { REFS_FIELD, ROOT_KEY_REF } from '../document/build-document';
import type { DocumentSpec } from '../document/document-spec';

/**
 * The index a sink writes is fully described by its config: mappings, settings and document shape.
 * Their fingerprint is stored in the index's mapping `_meta`; a different fingerprint means the
 * documents in the index no longer match the config, and the index must be rebuilt.
 */
export interface IndexBody {
  settings: Record<string, unknown>;
  mappings: Record<string, unknown>;
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function configFingerprint(config: ElasticsearchSinkConfig): string {
  const shape = {
    mappings: config.elasticsearch.mappings ?? null,
    settings: config.elasticsearch.settings ?? null,
    gcDeletes: config.elasticsearch.gcDeletes,
    from: config.from,
    id: config.id,
    document: config.document ?? null,
  };
  return createHash('sha256').update(stableStringify(shape)).digest('hex').slice(0, 32);
}

/**
 * The refresh interval an index gets when the sink's settings name none. Left unset, Elasticsearch stops
 * the scheduled refresh of a shard that has seen no search for 30 s (`index.search.idle.after`), and a
 * realtime GET is not a search: the unrefreshed writes pile up in memory until one indexing thread
 * flushes them as a large segment inside some bulk request, which then takes seconds while every other
 * request takes milliseconds — and the sink's partition that sent it waits behind it. Measured in
 * figure 5 at 5,000 changes/s: one request of 8 documents answered after 1.5 s (3 s in another run),
 * the partition's p99 commit → readable 0.3-5.6 s; with the interval set, no request over 300 ms and
 * p99 61-84 ms. An explicit 1 s is also what readers of a derived index expect: a search sees a write
 * within about a second, whether or not anyone searched during the last 30 s.
 */
export const DEFAULT_REFRESH_INTERVAL = '1s';

/** Whether the user's index settings set the refresh interval, in any of the forms PUT <index> takes. */
export function setsRefreshInterval(settings: Record<string, unknown> | undefined): boolean {
  const pending: [string, unknown][] = Object.entries(settings ?? {});
  while (pending.length > 0) {
    const [key, value] = pending.pop() as [string, unknown];
    const name = key.startsWith('index.') ? key.slice('index.'.length) : key;
    if (name === 'refresh_interval') return true;
    if (value && typeof value === 'object' && !Array.isArray(value))
      for (const [child, inner] of Object.entries(value as Record<string, unknown>))
        pending.push([`${key}.${child}`, inner]);
  }
  return false;
}

export function indexBody(
  config: ElasticsearchSinkConfig,
  spec: DocumentSpec,
  fingerprint: string,
  pipeline?: string,
): IndexBody {
  const user = (config.elasticsearch.mappings ?? {}) as Record<string, unknown>;
  const mappings: Record<string, unknown> = { ...user };
  const userMeta = (user._meta ?? {}) as Record<string, unknown>;
  mappings._meta = { ...userMeta, distributary: { sink: config.name, fingerprint, ...(pipeline ? { pipeline } : {}) } };
  if (spec.refs) {
    const source = (user._source ?? {}) as { excludes?: string[] };
    mappings._source = { ...source, excludes: [...(source.excludes ?? []), REFS_FIELD] };
    const refProperties: Record<string, unknown> = { [ROOT_KEY_REF]: { type: 'keyword' } };
    for (const relation of spec.relations) refProperties[relation.name] = { type: 'keyword' };
    const properties = (user.properties ?? {}) as Record<string, unknown>;
    mappings.properties = { ...properties, [REFS_FIELD]: { type: 'object', properties: refProperties } };
  }
  const userSettings = config.elasticsearch.settings;
  const settings: Record<string, unknown> = {
    ...(setsRefreshInterval(userSettings) ? {} : { 'index.refresh_interval': DEFAULT_REFRESH_INTERVAL }),
    ...(userSettings ?? {}),
    'index.gc_deletes': `${config.elasticsearch.gcDeletes}ms`,
  };
  return { settings, mappings };
}
