/**
 * Sink fingerprints: a stable hash of each sink's normalised configuration, split into the part that
 * shapes the derived data (a change means rebuild) and the part that only says where it lives (a
 * change means reconnect, nothing to rebuild). diffSinks compares the fingerprints persisted by the
 * previous run with the current configuration and says what each sink needs.
 */
import { createHash } from 'node:crypto';
import type { SinkConfig, SinkKind } from './schema/root';
import { sinkKind } from './sink-kind';

export interface SinkFingerprint {
  kind: SinkKind;
  /** Hash of everything that shapes the derived data (tables, mapping, keys, SQL, …). */
  shape: string;
  /** Hash of where the target is (URL, cluster nodes). */
  connection: string;
}

export type SinkAction = 'bootstrap' | 'rebuild' | 'none' | 'drop';

export interface SinkChange {
  name: string;
  action: SinkAction;
  /** What differs for a changed sink: 'kind', 'shape', 'connection'. */
  changed: ('kind' | 'shape' | 'connection')[];
}

export interface SinkDiff {
  added: SinkChange[];
  changed: SinkChange[];
  removed: SinkChange[];
  unchanged: string[];
}

/** Connection-only fields of each sink kind (a path of keys into the sink config). */
const CONNECTION_FIELDS: Record<SinkKind, string[][]> = {
  elasticsearch: [['elasticsearch', 'url']],
  redis: [
    ['redis', 'url'],
    ['redis', 'cluster'],
  ],
  view: [['view', 'postgres']],
};

/**
 * Layout versions of what a sink kind writes beyond its configuration (how it names its keys, …).
 * Raising one changes the shape of every existing sink of that kind, so the next run plans a rebuild.
 * A kind without an entry hashes its configuration alone (its fingerprints stay as they were).
 * - redis 2: the cache's companion keys (versions, tombstones) carry U+0000, so no key rendered from
 *   data can name one (libs/sinks/redis-cache/src/target/slots.ts); caches of layout 1 are replayed.
 */
export const SINK_LAYOUT_VERSIONS: Partial<Record<SinkKind, number>> = { redis: 2 };

export function sinkFingerprint(sink: SinkConfig): SinkFingerprint {
  const kind = sinkKind(sink);
  const shape = structuredClone(sink) as Record<string, unknown>;
  const connection: Record<string, unknown> = {};
  for (const path of CONNECTION_FIELDS[kind]) {
    const parent = path
      .slice(0, -1)
      .reduce<Record<string, unknown> | undefined>(
        (node, key) => node?.[key] as Record<string, unknown> | undefined,
        shape,
      );
    const leaf = path[path.length - 1];
    if (parent && leaf in parent) {
      connection[path.join('.')] = parent[leaf];
      delete parent[leaf];
    }
  }
  const layout = SINK_LAYOUT_VERSIONS[kind];
  return { kind, shape: hash(layout === undefined ? shape : { layout, shape }), connection: hash(connection) };
}

export function sinkFingerprints(sinks: readonly SinkConfig[]): Record<string, SinkFingerprint> {
  return Object.fromEntries(sinks.map((sink) => [sink.name, sinkFingerprint(sink)]));
}

export function diffSinks(previous: Record<string, SinkFingerprint>, current: readonly SinkConfig[]): SinkDiff {
  const diff: SinkDiff = { added: [], changed: [], removed: [], unchanged: [] };
  const currentNames = new Set(current.map((s) => s.name));
  for (const sink of current) {
    const before = previous[sink.name];
    const now = sinkFingerprint(sink);
    if (!before) {
      diff.added.push({ name: sink.name, action: 'bootstrap', changed: [] });
      continue;
    }
    const changed: SinkChange['changed'] = [];
    if (before.kind !== now.kind) changed.push('kind');
    if (before.shape !== now.shape) changed.push('shape');
    if (before.connection !== now.connection) changed.push('connection');
    if (changed.length === 0) diff.unchanged.push(sink.name);
    else {
      const rebuild = changed.includes('kind') || changed.includes('shape');
      diff.changed.push({ name: sink.name, action: rebuild ? 'rebuild' : 'none', changed });
    }
  }
  for (const name of Object.keys(previous).sort()) {
    if (!currentNames.has(name)) diff.removed.push({ name, action: 'drop', changed: [] });
  }
  return diff;
}

/** JSON with object keys sorted at every level, so equal configurations hash equally. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function hash(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, 16);
}
