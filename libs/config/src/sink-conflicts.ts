/**
 * Cross-sink conflicts found before anything starts: two sinks writing the same Elasticsearch
 * index/alias, the same view table, or overlapping Redis key spaces (each other's, or the change
 * log's own keys when a cache shares the log's Redis).
 */
import type { PathSegment } from './issues';
import type { DistributaryConfig, SinkConfig } from './schema/root';
import { parseKeyTemplate } from './templates';

interface Conflict {
  path: PathSegment[];
  message: string;
}

function endpoint(url: string): string {
  try {
    const parsed = new URL(url);
    const db = parsed.pathname.replace(/^\//, '') || '0';
    return `${parsed.protocol}//${parsed.hostname.toLowerCase()}:${parsed.port}/${db}`;
  } catch {
    return url;
  }
}

function endpoints(redis: { url: string } | { cluster: string[] }): Set<string> {
  return new Set('url' in redis ? [endpoint(redis.url)] : redis.cluster.map(endpoint));
}

function sharesEndpoint(a: Set<string>, b: Set<string>): boolean {
  for (const e of a) if (b.has(e)) return true;
  return false;
}

function keyPrefix(template: string): string {
  try {
    const first = parseKeyTemplate(template)[0];
    return 'literal' in first ? first.literal : '';
  } catch {
    return ''; // the template itself is reported by the schema
  }
}

function overlaps(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

interface KeySpace {
  index: number;
  sink: string;
  where: PathSegment[];
  prefix: string;
  servers: Set<string>;
}

export function sinkConflicts(config: DistributaryConfig): Conflict[] {
  const conflicts: Conflict[] = [];
  const seen = new Map<string, { index: number; name: string }>();
  const claim = (key: string, index: number, sink: SinkConfig, path: PathSegment[], what: string): void => {
    const first = seen.get(key);
    if (first) {
      conflicts.push({
        path: ['sinks', index, ...path],
        message: `expected each sink to write its own ${what}, found the same one as sinks[${first.index}] ("${first.name}")`,
      });
    } else seen.set(key, { index, name: sink.name });
  };
  const keySpaces: KeySpace[] = [];
  config.sinks.forEach((sink, index) => {
    if ('elasticsearch' in sink) {
      const at = endpoint(sink.elasticsearch.url).replace(/\/0$/, '');
      claim(
        `es ${at} ${sink.elasticsearch.index}`,
        index,
        sink,
        ['elasticsearch', 'index'],
        'Elasticsearch index/alias',
      );
    } else if ('view' in sink) {
      const table = sink.view.table.includes('.') ? sink.view.table : `public.${sink.view.table}`;
      claim(`view ${endpoint(sink.view.postgres)} ${table}`, index, sink, ['view', 'table'], 'view table');
    } else if ('redis' in sink) {
      const servers = endpoints(sink.redis);
      keySpaces.push({ index, sink: sink.name, where: ['key'], prefix: keyPrefix(sink.key), servers });
      sink.queries.forEach((query, q) => {
        keySpaces.push({ index, sink: sink.name, where: ['queries', q, 'key'], prefix: keyPrefix(query.key), servers });
      });
    }
  });
  const logServers = endpoints(config.log.redis);
  // Every log key starts with its hash tag `{<namespace>:…}` (libs/changelog LogKeys).
  const logPrefix = `{${config.log.namespace}:`;
  keySpaces.forEach((space, i) => {
    if (sharesEndpoint(space.servers, logServers) && overlaps(space.prefix, logPrefix)) {
      conflicts.push({
        path: ['sinks', space.index, ...space.where],
        message: `expected a key template whose keys cannot collide with the change log's keys ("${logPrefix}…" on the same Redis), found prefix "${space.prefix}"`,
      });
    }
    for (const other of keySpaces.slice(0, i)) {
      if (other.index === space.index) continue;
      if (!sharesEndpoint(space.servers, other.servers) || !overlaps(space.prefix, other.prefix)) continue;
      conflicts.push({
        path: ['sinks', space.index, ...space.where],
        message: `expected a key space of its own, found prefix "${space.prefix}" overlapping "${other.prefix}" of sinks[${other.index}] ("${other.sink}") on the same Redis (give each sink a distinct literal prefix)`,
      });
      break;
    }
  });
  return conflicts;
}
