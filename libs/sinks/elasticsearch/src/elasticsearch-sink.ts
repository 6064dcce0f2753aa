import { Client } from '@elastic/elasticsearch';
import type { QueryDslQueryContainer } from '@elastic/elasticsearch/lib/api/types';
import type { ElasticsearchSinkConfig } from '@distributary/config';
import {
  RetryableError,
  formatLsn,
  sleep,
  type ApplyResult,
  type ChangeEvent,
  type RejectedEvent,
  type Sink,
  type SinkBatch,
  type SinkLagInfo,
  type SourceRows,
} from '@distributary/core';
import { health, silentLogger, type Logger } from '@distributary/observability';
import { BulkWriter, isRetryableRequestError } from './write/bulk-writer';
import { serializeDocument, type BulkOp } from './write/bulk-op';
import { summarize } from './write/apply-result';
import { ApplyTurns } from './write/apply-turns';
import { compileDocumentSpec, withRefs, type DocumentSpec } from './document/document-spec';
import { REFS_FIELD } from './document/build-document';
import { relationsNeedingRefs } from './plan/relations-needing-refs';
import { configFingerprint, indexBody, type IndexBody } from './target/index-body';
import { IndexManager } from './target/index-manager';
import { scanPages, scrollPages } from './target/scan';
import { deletesBeforeTruncate } from './plan/truncate-split';
import { esMetrics } from './metrics';
import { checkMappingFits, checkSourceShape } from './target/open-checks';
import { planDirect } from './plan/direct-plan';
import { planJoined } from './plan/joined-plan';
import type { Planner } from './plan/plan-context';
import type { PlannedWrite } from './plan/planned-writes';
import { CommittedFloor, LookupCache } from './plan/lookup-cache';
import { loggedCommitLsn } from './plan/log-floor';
import { versionOf } from './version';
import type { RedisClient } from '@distributary/changelog';
import { FanOutStore, type FanOutMark } from './fan-out/fan-out-store';
import { FanOutDrainer } from './fan-out/fan-out-drainer';
import { planFanOutPass, writeFanOutChunk } from './fan-out/fan-out-pass';
import { FanOutChunks } from './fan-out/fan-out-chunks';

/**
 * The Elasticsearch sink. Idempotence: every write carries version_type external_gte with the commit
 * LSN as version, so replaying any stretch of the log changes nothing and an older write never
 * replaces newer content (409 = already applied). Indices are created with index.gc_deletes raised
 * (default 1h): a delete leaves a versioned tombstone for that long. The remaining window: an event
 * OLDER than a delete that arrives more than gc_deletes after the delete (e.g. a replay from far back
 * without the delete after it) could recreate the document; replays of whole log stretches always
 * carry the delete after it, so the end state is still right.
 */
export interface ElasticsearchSinkDeps {
  /**
   * The source's rows (the SourceRows port; on PostgreSQL: PgSourceRows), re-read to build documents
   * with joins and read to check explicit mappings. The sink owns it from here: close() closes it.
   */
  source: SourceRows;
  logger?: Logger;
  /** Roots per page of a fan-out or index search made in a batch (default 1000; fanOut.pageSize wins). */
  pageSize?: number;
  /** The pipeline (log namespace) this sink belongs to: marked on its indices, which it refuses to share. */
  pipeline?: string;
  /**
   * The durable fan-out queue (the log's Redis): roots reached through a changed lookup or child are
   * re-indexed by a background pass, once per key for any number of changes (fan-out/). Without it a
   * batch re-indexes them itself, page by page (tests of the sink alone, rebuilds).
   */
  fanOut?: {
    redis: RedisClient;
    /** Key prefix of the queue (the log namespace). */
    namespace: string;
    /** This process's identity (drainer lock). */
    owner: string;
    /** Dead-letters the change whose pass Elasticsearch or the document config refused. */
    deadLetter(event: ChangeEvent, error: string): Promise<void>;
    /** Roots per page of a pass (default 1000). */
    pageSize?: number;
    pollMs?: number;
    lockTtlMs?: number;
    /** True while the sink is paused: its passes wait too. */
    isPaused?: () => Promise<boolean>;
  };
}

export interface RebuildResult {
  index: string;
  previous: string;
  applied: number;
  skippedAsStale: number;
  rejected: RejectedEvent[];
}

export class ElasticsearchSink implements Sink {
  readonly kind = 'elasticsearch';
  /** bulk.batchesInFlight: overlapping apply() calls of a partition write in call order (write/apply-turns.ts). */
  readonly batchesInFlight: number;
  readonly name: string;
  readonly tables: readonly string[];
  /** Compiled at construction; at open, its documents' refs field is kept only where needed. */
  private spec: DocumentSpec;
  private readonly fingerprint: string;
  private body: IndexBody;
  private readonly pipeline: string;
  /** Whether a relation needs the refs field to find documents (decided at open from the source's keys). */
  private refsNeeded = false;
  private readonly client: Client;
  private readonly source: SourceRows;
  private readonly indices: IndexManager;
  private readonly writer: BulkWriter;
  private readonly logger: Logger;
  private readonly planner: Planner;
  private readonly lookups: { cache: LookupCache; floor: CommittedFloor };
  private serving: string | undefined;
  private writeIndices: string[] = [];
  private discoveredAt = 0;
  /** The target discovery running in the background (see discoverTargets). */
  private discovering: Promise<void> | undefined;
  private readonly turns = new ApplyTurns();
  private rebuilding: string | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private lastLsn: bigint | undefined;
  private lastCommitTs: string | undefined;
  private readonly totals = { applied: 0, skippedAsStale: 0, rejected: 0 };
  private closed = false;
  private readonly fanOut: { store: FanOutStore; drainer: FanOutDrainer } | undefined;
  /** Roots per page of a fan-out or index search (in a batch or a pass): memory is one page. */
  private readonly pageSize: number;

  constructor(
    private readonly config: ElasticsearchSinkConfig,
    deps: ElasticsearchSinkDeps,
  ) {
    this.name = config.name;
    this.batchesInFlight = config.elasticsearch.bulk.batchesInFlight;
    this.logger = (deps.logger ?? silentLogger).child({ sink: config.name });
    this.spec = compileDocumentSpec(config);
    this.tables = this.spec.tables;
    this.planner = this.spec.relations.length > 0 ? planJoined : planDirect;
    this.fingerprint = configFingerprint(config);
    this.pipeline = deps.pipeline ?? 'distributary';
    this.body = indexBody(config, this.spec, this.fingerprint, this.pipeline);
    const bulk = config.elasticsearch.bulk;
    this.client = new Client({ node: config.elasticsearch.url, maxRetries: 0, requestTimeout: bulk.timeout });
    this.source = deps.source;
    // in a worker, the log's transaction markers raise the shared lookups' floor (plan/log-floor.ts)
    const logged = deps.fanOut && loggedCommitLsn(deps.fanOut.redis, deps.fanOut.namespace);
    this.lookups = { cache: new LookupCache(), floor: new CommittedFloor(logged) };
    this.indices = new IndexManager(this.client, config.elasticsearch.index, this.logger, {
      pipeline: deps.pipeline ?? 'distributary',
      sink: config.name,
    });
    this.writer = new BulkWriter(
      this.client,
      {
        sink: config.name,
        maxDocs: bulk.maxDocs,
        maxBytes: bulk.maxBytes,
        lingerMs: bulk.linger,
        concurrency: bulk.concurrency,
        timeoutMs: bulk.timeout,
      },
      this.logger,
    );
    this.pageSize = deps.fanOut?.pageSize ?? deps.pageSize ?? 1000;
    this.fanOut = deps.fanOut && this.spec.relations.length > 0 ? this.fanOutQueue(deps.fanOut) : undefined;
  }

  private fanOutQueue(deps: NonNullable<ElasticsearchSinkDeps['fanOut']>): {
    store: FanOutStore;
    drainer: FanOutDrainer;
  } {
    const store = new FanOutStore(deps.redis, deps.namespace, this.name);
    // a chunk is one bulk request's worth of roots: the unit several workers share a pass by
    const chunkSize = Math.max(1, Math.min(this.pageSize, this.config.elasticsearch.bulk.maxDocs));
    const drainer = new FanOutDrainer({
      sink: this.name,
      store,
      chunks: new FanOutChunks(deps.redis, store.keys),
      owner: deps.owner,
      logger: this.logger,
      pollMs: deps.pollMs,
      lockTtlMs: deps.lockTtlMs,
      isPaused: deps.isPaused,
      planPass: (pass, list) =>
        planFanOutPass(pass, { spec: this.spec, source: this.source, pageSize: this.pageSize, chunkSize, list }),
      writeChunk: (chunk) =>
        writeFanOutChunk(chunk, {
          spec: this.spec,
          source: this.source,
          lookups: this.lookups,
          write: async (planned, rejected) => {
            const result = await this.retryable(async () => {
              await this.discoverTargets();
              return this.writeTo([...this.writeIndices], planned, rejected);
            });
            this.count(result);
            for (const item of result.rejected) await deps.deadLetter(item.event, item.error);
          },
        }),
    });
    return { store, drainer };
  }

  /** Lookup/child keys whose roots wait for a re-index pass (0 without the durable queue). */
  async pendingFanOut(): Promise<number> {
    return this.fanOut ? this.fanOut.store.size() : 0;
  }

  /** The alias applications search. */
  get alias(): string {
    return this.config.elasticsearch.index;
  }

  /** The concrete index behind the alias. */
  get servingIndex(): string | undefined {
    return this.serving;
  }

  /** Throws RetryableError while Elasticsearch or the source is unreachable; other errors are fatal. */
  async open(): Promise<void> {
    await this.retryable(() => this.openOnce());
  }

  private async openOnce(): Promise<void> {
    if (this.spec.relations.length > 0) await checkSourceShape(this.name, this.spec, this.source);
    const { mappings, settings } = this.config.elasticsearch;
    await checkMappingFits(this.name, this.spec, this.source, mappings, settings);
    await this.chooseRefs();
    this.serving = await this.indices.ensure(this.body);
    await this.checkRefsHidden(this.serving);
    this.writeIndices = [this.serving];
    await this.indices.deleteExpired(this.config.elasticsearch.retireAfter);
    await this.discoverTargets();
    // readiness: Elasticsearch answers (GET / is not used: some distributions refuse it)
    health.register(`sink:${this.name}`, async () => {
      await this.client.cluster.health({ index: this.alias }, { requestTimeout: 2000 });
    });
    if (await this.needsRebuild()) {
      this.logger.warn(
        { index: this.serving },
        'the index was built from a different mapping or document config: call rebuild() to rebuild it',
      );
    }
    this.fanOut?.drainer.start();
  }

  /**
   * A new index hides the refs field only when a relation needs it (plan/relations-needing-refs.ts):
   * the field costs Elasticsearch about a quarter of its CPU per document.
   */
  private async chooseRefs(): Promise<void> {
    if (this.spec.relations.length === 0) return;
    const needing = relationsNeedingRefs(this.spec, (table) => this.source.cachedInfo(table).primaryKey);
    this.refsNeeded = needing.length > 0;
    this.useRefs(this.refsNeeded);
  }

  /**
   * Every document of an index carries the refs or none does: the documents carry them exactly when
   * the serving index hides them (made when a relation needed them, or by a version that always wrote
   * them). An index made while no relation needed them, when one does now (a related table's primary
   * key changed since), stays without: where the plan would search them it re-indexes every root
   * instead (exact, slow). Rebuilt indexes keep the serving index's choice.
   */
  private async checkRefsHidden(index: string): Promise<void> {
    if (this.spec.relations.length === 0) return;
    const hidden = await this.indices.hidesField(index, REFS_FIELD);
    this.useRefs(hidden);
    if (this.refsNeeded && !hidden) {
      this.logger.warn(
        { index },
        'a relation is no longer joined on its primary key and the index was made without the hidden refs ' +
          'field: an update or delete of it without its old row re-indexes every document; a fresh index ' +
          '(delete it and snapshot the sink again) makes that a search',
      );
    }
  }

  private useRefs(refs: boolean): void {
    if (refs === this.spec.refs) return;
    this.spec = withRefs(this.spec, refs);
    this.body = indexBody(this.config, this.spec, this.fingerprint, this.pipeline);
  }

  async apply(batch: SinkBatch): Promise<ApplyResult> {
    this.requireOpen();
    // a joined plan or a truncate reads the index: it waits for the partition's earlier batches to settle
    const readsIndex = this.spec.relations.length > 0 || batch.events.some((e) => e.op === 't');
    const turn = this.turns.take(batch.partition, readsIndex);
    const work = this.retryable(async () => {
      await turn.ready;
      await this.discoverTargets();
      const targets = [...this.writeIndices];
      return this.applyTo(batch.events, this.requireOpen(), targets, true, batch.earlierInTransaction, turn.queued);
    });
    this.inFlight.add(work);
    work.then(turn.settled, turn.settled);
    try {
      const result = await work;
      this.totals.applied += result.applied;
      this.totals.skippedAsStale += result.skippedAsStale;
      this.totals.rejected += result.rejected.length;
      this.noteProgress(batch.events);
      return result;
    } finally {
      this.inFlight.delete(work);
    }
  }

  /** True when the serving index was built from different mappings, settings or document config. */
  async needsRebuild(): Promise<boolean> {
    const serving = this.requireOpen();
    return (await this.indices.fingerprintOf(serving)) !== this.fingerprint;
  }

  /**
   * Builds `<alias>_v<N+1>` from `events` while the current index keeps serving (live applies write to
   * both meanwhile), then moves the alias atomically and deletes the old index after `retireAfter`.
   * Rejected events are returned for the caller to dead-letter.
   */
  async rebuild(events: AsyncIterable<ChangeEvent[]>): Promise<RebuildResult> {
    const previous = this.requireOpen();
    if (this.rebuilding) throw new Error(`sink ${this.name} is already rebuilding into ${this.rebuilding}`);
    const next = await this.indices.nextIndexName();
    this.rebuilding = next;
    const result: RebuildResult = { index: next, previous, applied: 0, skippedAsStale: 0, rejected: [] };
    let stopHeartbeat = (): void => undefined;
    try {
      await this.indices.create(next, this.body, 'building', false);
      stopHeartbeat = this.indices.startHeartbeat(next);
      this.writeIndices = [previous, next];
      // Live events must reach `next` too: wait until this process's applies that started before, and
      // other workers (which look every discoverEvery), write there, before reading the events.
      await Promise.allSettled([...this.inFlight]);
      await sleep(2 * this.config.elasticsearch.discoverEvery);
      for await (const chunk of events) {
        const batch = await this.applyTo(chunk, next, [next]);
        result.applied += batch.applied;
        result.skippedAsStale += batch.skippedAsStale;
        result.rejected.push(...batch.rejected);
      }
      await this.indices.refresh(next);
      await this.indices.swap(previous, next);
      this.serving = next;
      this.writeIndices = [next];
      this.discoveredAt = Date.now();
      await this.indices.retire(previous, this.config.elasticsearch.retireAfter);
      esMetrics.rebuilds.inc({ sink: this.name, outcome: 'done' });
      this.logger.info({ index: next, previous, applied: result.applied }, 'rebuild done; alias moved');
      return result;
    } catch (error) {
      esMetrics.rebuilds.inc({ sink: this.name, outcome: 'failed' });
      this.writeIndices = [previous];
      await this.indices.drop(next);
      throw error;
    } finally {
      stopHeartbeat();
      this.rebuilding = undefined;
    }
  }

  /** Waits until every queued write reached Elasticsearch. */
  async flush(): Promise<void> {
    await this.writer.idle();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    health.unregister(`sink:${this.name}`);
    await this.fanOut?.drainer.stop(); // after the page in flight: its cursor is stored
    await Promise.allSettled([...this.inFlight]);
    await this.writer.idle();
    this.indices.close();
    await this.source.close();
    await this.client.close();
  }

  async describe(): Promise<SinkLagInfo> {
    const commitTs = this.lastCommitTs ? Date.parse(this.lastCommitTs) : undefined;
    return {
      description: `Elasticsearch alias ${this.alias} -> ${this.serving ?? '(not open)'} from ${this.spec.root}`,
      alias: this.alias,
      index: this.serving,
      rebuildingInto: this.rebuilding,
      writeIndices: [...this.writeIndices],
      lastAppliedLsn: this.lastLsn === undefined ? undefined : formatLsn(this.lastLsn),
      lastAppliedCommitTs: this.lastCommitTs,
      lagSeconds: commitTs === undefined ? undefined : Math.max(0, (Date.now() - commitTs) / 1000),
      pendingFanOut: await this.pendingFanOut().catch(() => undefined),
      ...this.totals,
    };
  }

  /**
   * Re-reads which indices to write (another worker may be rebuilding). Every write goes to targets
   * discovered less than discoverEvery before it (what rebuild() counts on), but off the apply path:
   * from half the interval on, one shared read runs in the background (one GET of the indices with
   * their mappings, 2-30 ms under load, which every partition's apply used to wait for once a
   * second); an apply waits only when the targets are a whole interval old. Their age counts from when
   * the read was SENT (Elasticsearch answers with the indices as they were at some moment after that),
   * so a slow answer never makes older targets look fresh.
   */
  private async discoverTargets(): Promise<void> {
    const every = this.config.elasticsearch.discoverEvery;
    if (this.rebuilding || Date.now() - this.discoveredAt < every / 2) return;
    this.discovering ??= this.discoverOnce().finally(() => (this.discovering = undefined));
    const running = this.discovering;
    if (Date.now() - this.discoveredAt < every) {
      running.catch(() => undefined); // the next apply past the interval reads again and sees the error
      return;
    }
    await running;
  }

  private async discoverOnce(): Promise<void> {
    const asked = Date.now();
    const found = await this.indices.discover();
    if (this.rebuilding) return; // a local rebuild started meanwhile and set the targets itself
    if (found.serving) this.serving = found.serving;
    const serving = this.requireOpen();
    this.writeIndices = [serving, ...found.building.filter((i) => i !== serving)];
    this.discoveredAt = asked;
  }

  /** Elasticsearch unreachable or overloaded outside the bulk writer (lookups, refresh): RetryableError. */
  private async retryable<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof RetryableError) && isRetryableRequestError(error)) {
        esMetrics.errors.inc({ sink: this.name, kind: 'retryable' });
        throw new RetryableError(`Elasticsearch unavailable: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    }
  }

  private requireOpen(): string {
    if (!this.serving) throw new Error(`sink ${this.name} is not open`);
    return this.serving;
  }

  /** Writes planned documents to every target index (each serialized once); counted on the first. */
  private async writeTo(
    targets: string[],
    planned: PlannedWrite[],
    rejected: RejectedEvent[],
    queued?: () => void,
  ): Promise<ApplyResult> {
    // plain objects built field by field: no rest/spread copies per document (a batch holds thousands)
    const sources = planned.map((w) => (w.action === 'index' ? serializeDocument(w.document) : undefined));
    const ops: BulkOp[] = [];
    for (const index of targets) {
      for (let i = 0; i < planned.length; i++) {
        const { action, id, version, event, strict } = planned[i];
        ops.push({ action, index, id, version, source: sources[i], event, strict });
      }
    }
    const written = this.writer.write(ops); // queued in the writer once called (per-key order from here)
    queued?.();
    return summarize(rejected, ops, await written, targets[0]);
  }

  private count(result: ApplyResult): void {
    esMetrics.docs.inc({ sink: this.name, result: 'applied' }, result.applied);
    esMetrics.docs.inc({ sink: this.name, result: 'stale' }, result.skippedAsStale);
    esMetrics.docs.inc({ sink: this.name, result: 'rejected' }, result.rejected.length);
    if (result.rejected.length > 0) {
      esMetrics.errors.inc({ sink: this.name, kind: 'rejected' }, result.rejected.length);
      this.logger.warn({ rejected: result.rejected.length, first: result.rejected[0].error }, 'events rejected');
    }
  }

  /** `live`: a batch of the log (its fan-out may go to the durable queue); else a rebuild's events. */
  private async applyTo(
    events: ChangeEvent[],
    searchIndex: string,
    targets: string[],
    live = false,
    earlierInTransaction?: () => AsyncIterable<ChangeEvent[]>,
    queued?: () => void,
  ): Promise<ApplyResult> {
    for (const event of events) this.lookups.floor.observe(versionOf(event.pos.lsn)); // in the log = committed
    this.lookups.floor.refresh();
    const result: ApplyResult = { applied: 0, skippedAsStale: 0, rejected: [] };
    const write = async (planned: PlannedWrite[], rejected: RejectedEvent[] = [], last?: () => void): Promise<void> => {
      const part = await this.writeTo(targets, planned, rejected, last);
      result.applied += part.applied;
      result.skippedAsStale += part.skippedAsStale;
      result.rejected.push(...part.rejected);
    };
    if (earlierInTransaction) {
      for await (const deletes of deletesBeforeTruncate(this.spec, events, earlierInTransaction)) await write(deletes);
    }
    const queue = live ? this.fanOut : undefined;
    const plan = await this.planner(events, {
      spec: this.spec,
      source: this.source,
      findDocuments: (query, size) => this.findDocuments(searchIndex, query, size),
      scanDocuments: (query, size) => this.scanDocuments(searchIndex, query, size),
      pageSize: this.pageSize,
      lookups: this.lookups,
      writePage: write,
      ...(queue
        ? {
            deferFanOut: async (marks: FanOutMark[]) => {
              await queue.store.mark(marks); // durable before the batch's position is committed
              queue.drainer.wake();
            },
          }
        : {}),
    });
    await write(plan.list(), plan.rejected, queued);
    this.count(result);
    return result;
  }

  private async *scanDocuments(index: string, query: QueryDslQueryContainer, size: number) {
    await this.indices.refresh(index); // see the writes of earlier batches
    yield* scanPages(this.client, index, query, size);
  }

  private async *findDocuments(index: string, query: QueryDslQueryContainer, size: number) {
    await this.indices.refresh(index); // see the writes of earlier batches
    yield* scrollPages(this.client, index, query, size);
  }

  private noteProgress(events: ChangeEvent[]): void {
    const last = events[events.length - 1];
    if (!last) return;
    this.lastLsn = last.pos.lsn;
    esMetrics.appliedLsn.set({ sink: this.name }, Number(last.pos.lsn));
    if (last.commitTs) {
      this.lastCommitTs = last.commitTs;
      esMetrics.appliedCommitSeconds.set({ sink: this.name }, Date.parse(last.commitTs) / 1000);
    }
  }
}

export function createElasticsearchSink(
  config: ElasticsearchSinkConfig,
  deps: ElasticsearchSinkDeps,
): ElasticsearchSink {
  return new ElasticsearchSink(config, deps);
}
