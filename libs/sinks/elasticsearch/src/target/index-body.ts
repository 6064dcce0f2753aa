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
  if (spec.relations.length > 0) {
    const source = (user._source ?? {}) as { excludes?: string[] };
    mappings._source = { ...source, excludes: [...(source.excludes ?? []), REFS_FIELD] };
    const refProperties: Record<string, unknown> = { [ROOT_KEY_REF]: { type: 'keyword' } };
    for (const relation of spec.relations) refProperties[relation.name] = { type: 'keyword' };
    const properties = (user.properties ?? {}) as Record<string, unknown>;
    mappings.properties = { ...properties, [REFS_FIELD]: { type: 'object', properties: refProperties } };
  }
  const settings: Record<string, unknown> = {
    ...(config.elasticsearch.settings ?? {}),
    'index.gc_deletes': `${config.elasticsearch.gcDeletes}ms`,
  };
  return { settings, mappings };
}
