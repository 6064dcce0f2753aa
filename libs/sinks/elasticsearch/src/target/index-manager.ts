import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import { DistributaryError } from '@distributary/core';
import type { Logger } from '@distributary/observability';
import type { IndexBody } from './index-body';

/**
 * Applications search the alias; the sink writes `<alias>_v<N>` behind it. A rebuild fills
 * `<alias>_v<N+1>` and moves the alias in ONE `_aliases` call (remove + add are atomic, so a search
 * against the alias always finds exactly one index), then deletes the previous index after a grace
 * period, so searches and scrolls already running against it finish.
 *
 * Several workers may run the same sink (each owning some partitions). Every index records its state
 * in its mapping `_meta` (building / serving / retired); `discover()` lets every worker find an index
 * being built and write to it too, so no live event misses the new index. A building index carries a
 * heartbeat; one whose rebuilder died stops being written after HEARTBEAT_STALE_MS and is deleted at
 * the next open().
 */
interface DistributaryMeta {
  sink?: string;
  /** The pipeline (log namespace) whose sink owns the index: the ownership marker. */
  pipeline?: string;
  fingerprint?: string;
  state?: 'building' | 'serving' | 'retired';
  retiredAt?: number;
  heartbeatAt?: number;
}

export const HEARTBEAT_EVERY_MS = 5_000;
export const HEARTBEAT_STALE_MS = 30_000;

export interface Discovered {
  serving: string | undefined;
  /** Indices being rebuilt (fresh heartbeat): live writes go there too. */
  building: string[];
}

function isNotFound(error: unknown): boolean {
  return error instanceof errors.ResponseError && error.statusCode === 404;
}

function isForbidden(error: unknown): boolean {
  return error instanceof errors.ResponseError && error.statusCode === 403;
}

export class IndexManager {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly client: Client,
    readonly alias: string,
    private readonly logger: Logger,
    /** Who may write this alias's indices; refused when an existing index is marked as someone else's. */
    private readonly owner?: { pipeline: string; sink: string },
  ) {}

  /** The concrete index behind the alias, or undefined when the alias does not exist yet. */
  async resolve(): Promise<string | undefined> {
    const behind = await this.aliasTarget();
    if (behind !== undefined) return behind;
    if (!(await this.client.indices.exists({ index: this.alias }))) return undefined;
    // `exists` answers for an alias too: another worker of this sink may have created the index and the
    // alias since the first look (workers started together) — look again before calling it an index
    const created = await this.aliasTarget();
    if (created !== undefined) return created;
    throw new Error(
      `an index named ${this.alias} exists; the Elasticsearch sink needs ${this.alias} to be an alias ` +
        `(reindex it or delete it, or choose another elasticsearch.index)`,
    );
  }

  /** The index the alias points to (its write index), or undefined when there is no such alias. */
  private async aliasTarget(): Promise<string | undefined> {
    try {
      const found = await this.client.indices.getAlias({ name: this.alias });
      const indices = Object.keys(found);
      if (indices.length === 1) return indices[0];
      const writer = indices.find((i) => found[i].aliases[this.alias]?.is_write_index);
      if (writer) return writer;
      throw new Error(`alias ${this.alias} points to ${indices.join(', ')}; expected exactly one index`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      return undefined;
    }
  }

  /** Resolves the alias, creating `<alias>_v1` and the alias when there is none. */
  async ensure(body: IndexBody): Promise<string> {
    const existing = await this.resolve();
    if (existing) {
      await this.assertOwned(existing);
      await this.adoptRefreshInterval(existing, body);
      return existing;
    }
    const name = await this.nextIndexName();
    try {
      await this.create(name, body, 'serving', true);
      this.logger.info({ alias: this.alias, index: name }, 'created index and alias');
      return name;
    } catch (error) {
      // Another instance of this sink may have created it at the same moment.
      const raced = await this.resolve();
      if (raced) return raced;
      throw error;
    }
  }

  /**
   * An index created before the sink set a refresh interval (DEFAULT_REFRESH_INTERVAL) has none, and
   * keeps the search-idle stalls it explains: give it the body's interval in place (a dynamic setting, no
   * rebuild). An interval set on the index by anyone is left alone.
   */
  private async adoptRefreshInterval(index: string, body: IndexBody): Promise<void> {
    const wanted = body.settings['index.refresh_interval'];
    if (wanted === undefined) return;
    try {
      const found = await this.client.indices.getSettings({ index, name: 'index.refresh_interval' });
      if (found[index]?.settings?.index?.refresh_interval !== undefined) return;
      await this.client.indices.putSettings({ index, settings: { 'index.refresh_interval': wanted } });
      this.logger.info({ index, refreshInterval: wanted }, 'set the refresh interval of an index that had none');
    } catch (error) {
      // a role allowed to write the index but not to manage it: the index works as before, only slower
      if (!isForbidden(error)) throw error;
      this.logger.warn(
        { index, refreshInterval: wanted, error: (error as Error).message },
        'index has no refresh interval and this sink may not set one: set index.refresh_interval yourself',
      );
    }
  }

  async create(name: string, body: IndexBody, state: DistributaryMeta['state'], withAlias: boolean): Promise<void> {
    const patch = state === 'building' ? { state, heartbeatAt: Date.now() } : { state };
    const mappings = { ...body.mappings, _meta: this.withState(body.mappings._meta, patch) };
    await this.client.indices.create({
      index: name,
      settings: body.settings,
      mappings,
      ...(withAlias ? { aliases: { [this.alias]: { is_write_index: true } } } : {}),
    });
  }

  /**
   * Pipelines share clusters safely: an index marked (mapping `_meta.distributary`) as another
   * pipeline's, or another sink's, is never written, rebuilt or re-aliased — the sink refuses to
   * open, naming the owner. An index from before the pipeline marker is claimed for its sink.
   */
  async assertOwned(index: string): Promise<void> {
    if (!this.owner) return;
    const meta = await this.metaOf(index);
    const { pipeline, sink } = this.owner;
    if ((meta.sink !== undefined && meta.sink !== sink) || (meta.pipeline !== undefined && meta.pipeline !== pipeline))
      throw new DistributaryError(
        `sink ${sink} (pipeline ${pipeline}) refuses to write ${this.alias}: its index ${index} belongs to sink ` +
          `${meta.sink ?? '?'} of pipeline ${meta.pipeline ?? '?'} (mapping _meta.distributary); choose another elasticsearch.index`,
      );
    if (meta.pipeline === undefined) await this.patchMeta(index, { pipeline, sink });
  }

  async fingerprintOf(index: string): Promise<string | undefined> {
    return (await this.metaOf(index)).fingerprint;
  }

  async nextIndexName(): Promise<string> {
    const found = await this.client.indices.get({ index: `${this.alias}_v*`, expand_wildcards: 'all' });
    const versions = Object.keys(found)
      .map((name) => new RegExp(`^${this.alias}_v(\\d+)$`).exec(name)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number);
    return `${this.alias}_v${versions.length === 0 ? 1 : Math.max(...versions) + 1}`;
  }

  /** Moves the alias from `from` to `to` in one atomic _aliases call. */
  async swap(from: string, to: string): Promise<void> {
    await this.setState(to, 'serving');
    await this.client.indices.updateAliases({
      actions: [
        { remove: { index: from, alias: this.alias } },
        { add: { index: to, alias: this.alias, is_write_index: true } },
      ],
    });
  }

  /** Marks `index` retired and deletes it after `graceMs` (or at the next open() past the grace). */
  async retire(index: string, graceMs: number): Promise<void> {
    await this.setState(index, 'retired', Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.drop(index);
    }, graceMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** The serving index and any index being built, as recorded in the indices themselves. */
  async discover(): Promise<Discovered> {
    const found = await this.client.indices.get({ index: `${this.alias}_v*`, expand_wildcards: 'all' });
    const result: Discovered = { serving: undefined, building: [] };
    for (const [name, state] of Object.entries(found)) {
      const meta = (state.mappings?._meta?.distributary ?? {}) as DistributaryMeta;
      if (state.aliases?.[this.alias]) result.serving = name;
      else if (meta.state === 'building' && Date.now() - (meta.heartbeatAt ?? 0) < HEARTBEAT_STALE_MS) {
        result.building.push(name);
      }
    }
    return result;
  }

  /** Deletes unaliased indices of this alias retired more than `graceMs` ago, or abandoned mid-build. */
  async deleteExpired(graceMs: number): Promise<void> {
    const found = await this.client.indices.get({ index: `${this.alias}_v*`, expand_wildcards: 'all' });
    for (const [name, state] of Object.entries(found)) {
      const meta = (state.mappings?._meta?.distributary ?? {}) as DistributaryMeta;
      if (state.aliases?.[this.alias]) continue;
      const retired = meta.state === 'retired' && Date.now() - (meta.retiredAt ?? 0) >= graceMs;
      const abandoned = meta.state === 'building' && Date.now() - (meta.heartbeatAt ?? 0) >= HEARTBEAT_STALE_MS;
      if (retired || abandoned) await this.drop(name);
    }
  }

  /** Keeps a building index's heartbeat fresh until the returned function is called. */
  startHeartbeat(index: string): () => void {
    const timer = setInterval(() => {
      void this.patchMeta(index, { heartbeatAt: Date.now() }).catch((error: Error) =>
        this.logger.warn({ index, error: error.message }, 'could not renew the rebuild heartbeat'),
      );
    }, HEARTBEAT_EVERY_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  async drop(index: string): Promise<void> {
    try {
      await this.client.indices.delete({ index });
      this.logger.info({ alias: this.alias, index }, 'deleted index');
    } catch (error) {
      if (!isNotFound(error)) this.logger.warn({ index, error: (error as Error).message }, 'could not delete index');
    }
  }

  async refresh(index: string): Promise<void> {
    await this.client.indices.refresh({ index });
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** True when `index` maps `field` and excludes it from _source (a hidden field, like the refs). */
  async hidesField(index: string, field: string): Promise<boolean> {
    const found = await this.client.indices.getMapping({ index });
    const mapping = Object.values(found)[0]?.mappings;
    return mapping?.properties?.[field] !== undefined && (mapping?._source?.excludes ?? []).includes(field);
  }

  private async metaOf(index: string): Promise<DistributaryMeta> {
    const found = await this.client.indices.getMapping({ index });
    const mapping = Object.values(found)[0]?.mappings;
    return (mapping?._meta?.distributary ?? {}) as DistributaryMeta;
  }

  private withState(meta: unknown, patch: Partial<DistributaryMeta>): Record<string, unknown> {
    const current = (meta ?? {}) as Record<string, unknown>;
    const distributary = (current.distributary ?? {}) as DistributaryMeta;
    return { ...current, distributary: { ...distributary, ...patch } };
  }

  private async setState(index: string, state: DistributaryMeta['state'], retiredAt?: number): Promise<void> {
    await this.patchMeta(index, retiredAt === undefined ? { state } : { state, retiredAt });
  }

  private async patchMeta(index: string, patch: Partial<DistributaryMeta>): Promise<void> {
    const found = await this.client.indices.getMapping({ index });
    const meta = Object.values(found)[0]?.mappings?._meta;
    await this.client.indices.putMapping({ index, _meta: this.withState(meta, patch) });
  }
}
