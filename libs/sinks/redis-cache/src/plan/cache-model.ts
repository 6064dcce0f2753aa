import type { RedisCacheSinkConfig } from '@distributary/config';
import type { Row } from '@distributary/core';
import { ValueRenderer, type CachedValue } from './cached-value';
import { KeyTemplate } from './key-template';
import { QueryCache, membershipId, type Membership } from './query-cache';
import { RowFilter } from './row-filter';

/** What a row looks like in the cache when it is (or would be) cached: its key, value and groups. */
export interface CachedRow {
  cacheKey: string;
  value: CachedValue;
  memberships: Membership[];
}

/** The sink's configuration compiled once: templates parsed, filters compiled. Pure, no Redis. */
export class CacheModel {
  readonly table: string;
  readonly key: KeyTemplate;
  readonly value: ValueRenderer;
  readonly filter: RowFilter | undefined;
  readonly queries: QueryCache[];
  readonly namespace: string;

  /**
   * `pipeline`: the log namespace the sink belongs to. The bookkeeping namespace defaults to
   * `distributary:<pipeline>:<sink>` (`distributary:<sink>` for the default pipeline), so two pipelines
   * with the same sink names never share row records.
   */
  constructor(config: RedisCacheSinkConfig, pipeline = 'distributary') {
    this.table = config.from;
    this.namespace =
      config.namespace ??
      (pipeline === 'distributary' ? `distributary:${config.name}` : `distributary:${pipeline}:${config.name}`);
    this.key = new KeyTemplate(config.key, this.namespace);
    this.value = new ValueRenderer(config.value);
    this.filter = config.filter === undefined ? undefined : new RowFilter(config.filter);
    this.queries = config.queries.map((query, index) => new QueryCache(index, query, config.key, this.namespace));
  }

  /** The cached form of a complete row, or undefined when the sink filter leaves it out. */
  async cachedRow(row: Row): Promise<CachedRow | undefined> {
    if (this.filter && !(await this.filter.matches(row))) return undefined;
    const cacheKey = this.key.renderRequired(row);
    const value = this.value.render(row);
    const memberships: Membership[] = [];
    for (const query of this.queries) {
      const membership = await query.membershipOf(row);
      if (membership) memberships.push(membership);
    }
    return { cacheKey, value, memberships };
  }

  /** Keys and memberships a (possibly partial) row image could occupy: candidates for removal. */
  possiblePlaces(row: Row | undefined): { keys: string[]; memberships: Membership[] } {
    const keys: string[] = [];
    if (this.key.canRender(row)) {
      const key = this.key.render(row);
      if (key !== null) keys.push(key);
    }
    const memberships = this.queries.flatMap((query) => query.possibleMembershipOf(row) ?? []);
    return { keys, memberships };
  }
}

export { membershipId };
