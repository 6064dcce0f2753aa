import {
  isElasticsearchSink,
  isMaterializedViewSink,
  isRedisCacheSink,
  type DistributaryConfig,
  type SinkConfig,
} from '@distributary/config';
import { ExitError, EXIT_FAILURE } from '../exit-codes';

/**
 * Two sinks of one pipeline must not share a target: one Elasticsearch alias, one view table in one
 * database, or one cache bookkeeping namespace in one Redis. Each would rebuild, re-alias or rewrite
 * what the other maintains. Refused before anything is created, naming both sinks. (Across pipelines
 * the sinks' ownership markers refuse the same thing at open.)
 */
export function refuseSharedTargets(file: string, config: DistributaryConfig): void {
  const seen = new Map<string, number>();
  const problems: string[] = [];
  config.sinks.forEach((sink, index) => {
    const target = targetOf(sink, config.log.namespace);
    const first = seen.get(target.id);
    if (first === undefined) {
      seen.set(target.id, index);
      return;
    }
    problems.push(
      `  - sinks[${index}] (${sink.name}) and sinks[${first}] (${config.sinks[first].name}) both maintain ${target.what}`,
    );
  });
  if (problems.length)
    throw new ExitError(
      EXIT_FAILURE,
      `invalid configuration in ${file}:\n${problems.join('\n')}\n  each sink needs a target of its own`,
    );
}

function targetOf(sink: SinkConfig, pipeline: string): { id: string; what: string } {
  if (isElasticsearchSink(sink)) {
    const { url, index } = sink.elasticsearch;
    return { id: `es|${endpoint(url)}|${index}`, what: `the Elasticsearch alias ${index}` };
  }
  if (isMaterializedViewSink(sink))
    return { id: `view|${endpoint(sink.view.postgres)}|${sink.view.table}`, what: `the view table ${sink.view.table}` };
  if (isRedisCacheSink(sink)) {
    const namespace =
      sink.namespace ??
      (pipeline === 'distributary' ? `distributary:${sink.name}` : `distributary:${pipeline}:${sink.name}`);
    const redis = 'url' in sink.redis ? endpoint(sink.redis.url) : sink.redis.cluster.map(endpoint).sort().join(',');
    return { id: `redis|${redis}|${namespace}`, what: `the cache bookkeeping namespace ${namespace}` };
  }
  return { id: `other|${(sink as { name: string }).name}`, what: 'its target' };
}

/** Host, port and path of a URL without credentials or query (same server, same database). */
function endpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port}${parsed.pathname}`;
  } catch {
    return url;
  }
}
