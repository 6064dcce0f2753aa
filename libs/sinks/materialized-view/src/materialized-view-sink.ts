import {
  type ApplyResult,
  type ChangeEvent,
  DistributaryError,
  type Sink,
  type SinkBatch,
  type SinkLagInfo,
} from '@distributary/core';
import type { MaterializedViewSinkConfig } from '@distributary/config';
import { type Logger, silentLogger } from '@distributary/observability';
import { applyBatch, type BatchOutcome } from './write/apply-batch';
import { type Catalog, loadCatalog } from './parse/catalog';
import { viewMetrics } from './metrics';
import { classifyTargetError } from './write/pg-errors';
import { prepareTarget } from './target/prepare-target';
import { type RebuildOptions, type RebuildResult, rebuildView } from './write/rebuild-view';
import { type ResolvedView, resolveView } from './parse/resolve-view';
import { ShapeWatch } from './target/shape-watch';
import { TargetConnection, lockForTransaction, runAll } from './target/target-connection';
import { TombstonePurge } from './write/tombstone-purge';
import { TransactionGate, type TransactionSizeLookup } from './write/transaction-gate';
import { type ViewDefinition, loadViewSqlParser, parseViewSqlSync } from './parse/view-sql';
import { ViewStatements } from './plan/view-statements';
import { ViewTarget } from './target/view-target';

export type { RebuildOptions, RebuildResult } from './write/rebuild-view';

export interface MaterializedViewSinkDeps {
  /** Source database, read for column types and primary keys (defaults to the view's database). */
  sourceUrl?: string;
  logger?: Logger;
  /**
   * Required when the sink is `transactional`: how many events the worker will hand this sink for the
   * source transaction committed at `commitLsn` (from the log's transaction markers); undefined while
   * the transaction's commit marker is not known yet.
   */
  transactionSize?: TransactionSizeLookup;
  /**
   * The pipeline's identity (its log namespace): the view's state is keyed by it and its table is
   * marked as its own (view-ownership.ts). Default 'distributary'.
   */
  pipeline?: string;
  /** Purge deleted-row tombstones every this many applied batches (default 100). */
  purgeEveryBatches?: number;
}

export async function createMaterializedViewSink(
  config: MaterializedViewSinkConfig,
  deps: MaterializedViewSinkDeps = {},
): Promise<MaterializedViewSink> {
  await loadViewSqlParser();
  return new MaterializedViewSink(config, deps);
}

/**
 * A materialized-view sink: keeps `SELECT <groups>, <aggregates> FROM fact [JOIN lookup] [WHERE]
 * GROUP BY <groups>` up to date in a Postgres table.
 *
 * Exactly-once invariant: each batch's view changes and the partition's new position commit in ONE
 * target transaction; events at or below the stored position are skipped. A crash before COMMIT
 * leaves neither, a crash after leaves both, so count and sum are never applied twice. Under that, the
 * contribution model (see view-statements.ts) makes every change idempotent on its own too, so even a
 * rebuild that replays the log over live positions cannot double-count.
 *
 * Batches of one sink are serialised by a transaction-scoped advisory lock (partitions share groups;
 * concurrent upserts of the same groups would otherwise deadlock). A batch read under an older
 * fencing token than the one stored for its partition is refused with FencedError.
 */
export class MaterializedViewSink implements Sink {
  readonly kind = 'view';
  readonly storesPositions = true;
  readonly name: string;
  readonly tables: readonly string[];
  readonly definition: ViewDefinition;

  private readonly logger: Logger;
  private readonly target: ViewTarget;
  private readonly connection: TargetConnection;
  private readonly shapes: ShapeWatch;
  private readonly purge: TombstonePurge;
  private readonly gate?: TransactionGate;
  private view?: ResolvedView;
  private statements?: ViewStatements;
  private stale = false;
  private lastCommitTs?: string;

  /** Needs the SQL parser loaded (await loadViewSqlParser(), or use createMaterializedViewSink). */
  constructor(
    private readonly config: MaterializedViewSinkConfig,
    private readonly deps: MaterializedViewSinkDeps = {},
  ) {
    this.name = config.name;
    this.definition = parseViewSqlSync(config.sql);
    this.tables = this.definition.tables;
    this.logger = (deps.logger ?? silentLogger).child({ sink: config.name });
    this.target = new ViewTarget(config, deps.pipeline);
    this.connection = new TargetConnection(config.view.postgres, `view ${config.name}`, this.logger);
    this.purge = new TombstonePurge(this.target, deps.purgeEveryBatches);
    this.shapes = new ShapeWatch({
      name: this.name,
      tables: this.tables,
      logger: this.logger,
      compareWithSource: () => this.compareWithSource(),
      reopen: async () => {
        await this.open(); // through rebuild-on-open (an own property replacing the method) it rebuilds
        return this.stale;
      },
    });
    if (config.transactional) {
      if (!deps.transactionSize)
        throw new DistributaryError(
          `view ${config.name}: transactional: true needs the worker to provide transaction sizes (deps.transactionSize)`,
        );
      this.gate = new TransactionGate(this.target.stateSchema, this.target.stateKey, deps.transactionSize);
    }
  }

  async open(): Promise<void> {
    const view = resolveView(this.definition, await this.readCatalog());
    this.view = view;
    this.connection.open();
    const registered = await this.connection
      .transaction((client) => prepareTarget(client, this.target, view, this.gate))
      .catch((error: unknown) => {
        throw classifyTargetError(error, `view ${this.name}: preparing the target`);
      });
    this.stale = registered.fingerprint !== view.fingerprint || registered.targetTable !== this.config.view.table;
    this.statements = new ViewStatements(view, this.target.names(registered.generation));
    if (this.stale) {
      this.logger.warn(
        { generation: registered.generation },
        'view SQL or target changed since the view was built: rebuild() required before apply()',
      );
      return;
    }
    this.logger.info({ generation: registered.generation, tables: this.tables }, 'materialized view open');
  }

  async needsRebuild(): Promise<boolean> {
    this.requireOpen();
    return this.stale;
  }

  /**
   * Repair: recomputes every group's state from the stored per-row contributions and rewrites the view
   * table from it, under the same lock as apply(). Re-emitting source rows fixes the mirrors and
   * contributions; this then fixes group state that was damaged (by a bug, or a manual edit).
   */
  async recomputeState(): Promise<{ groups: number }> {
    const statements = this.requireOpen();
    if (this.stale) throw new DistributaryError(`view ${this.name}: its SQL changed; rebuild() instead of repairing`);
    return this.connection.transaction(async (client) => {
      await lockForTransaction(client, this.target.applyLock);
      await runAll(client, statements.recomputeState());
      const keys = (await client.query<{ keys: string[] }>(statements.allGroupKeys())).rows[0].keys;
      await client.query(statements.clearTarget());
      await client.query(statements.refreshTargetRows(), [keys]);
      return { groups: keys.length };
    });
  }

  async apply(batch: SinkBatch): Promise<ApplyResult> {
    await this.shapes.settled();
    this.requireOpen();
    if (this.stale)
      throw new DistributaryError(
        `view ${this.name}: its SQL changed since ${this.config.view.table} was built; call rebuild() before applying`,
      );
    this.shapes.refuseIfFailed();
    await this.shapes.check(batch.events);
    const statements = this.requireOpen();
    return this.shapes.applying(async () => {
      const stopTimer = viewMetrics.batchSeconds.startTimer({ sink: this.name });
      try {
        const outcome = await applyBatch(
          {
            connection: this.connection,
            target: this.target,
            view: this.requireView(),
            statements,
            shapes: this.shapes,
            purge: this.purge,
            gate: this.gate,
          },
          batch,
        );
        this.record(batch, outcome);
        return { applied: outcome.applied, skippedAsStale: outcome.skipped, rejected: outcome.rejected };
      } finally {
        stopTimer();
      }
    });
  }

  async storedPositions(): Promise<Map<number, string>> {
    this.requireOpen();
    try {
      return await this.connection.transaction((client) =>
        this.target.registry.positionsOf(client, this.target.stateKey),
      );
    } catch (error) {
      throw classifyTargetError(error, `view ${this.name}: reading stored positions`);
    }
  }

  /**
   * Builds the view again from `events` (the lead feeds the compacted log or a snapshot) into a new
   * generation beside the live one, then swaps it in (rebuild-view.ts).
   * apply() must not run concurrently for this sink (the worker pauses it while rebuilding).
   */
  async rebuild(events: AsyncIterable<ChangeEvent[]>, options: RebuildOptions = {}): Promise<RebuildResult> {
    const view = this.requireView();
    const result = await rebuildView(this.connection, this.target, view, events, options);
    this.statements = new ViewStatements(view, this.target.names(result.generation));
    this.stale = false;
    this.logger.info(
      { generation: result.generation, events: result.events, rejected: result.rejected.length },
      'materialized view rebuilt and swapped',
    );
    return result;
  }

  async describe(): Promise<SinkLagInfo> {
    const positions = this.connection.isOpen ? await this.storedPositions() : new Map<number, string>();
    const lagSeconds = this.lastCommitTs ? Math.max(0, (Date.now() - Date.parse(this.lastCommitTs)) / 1000) : undefined;
    const gate = this.gate;
    return {
      description: `materialized view ${this.config.view.table} (${this.tables.join(' + ')})`,
      positions: Object.fromEntries(positions),
      lastCommitTs: this.lastCommitTs,
      lagSeconds,
      needsRebuild: this.stale,
      ...(gate ? { pendingEvents: await this.connection.withClient((client) => gate.pendingCount(client)) } : {}),
    };
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  private async readCatalog(): Promise<Catalog> {
    return loadCatalog(this.deps.sourceUrl ?? this.config.view.postgres, this.tables).catch((error) => {
      throw classifyTargetError(error, `view ${this.name}: reading the source catalog`);
    });
  }

  /** What changed between the view as opened and the source catalog now, or undefined. */
  private async compareWithSource(): Promise<string | undefined> {
    const catalog = await this.readCatalog();
    try {
      if (resolveView(this.definition, catalog).fingerprint !== this.requireView().fingerprint)
        return 'the columns it reads changed type';
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    return undefined;
  }

  private record(batch: SinkBatch, outcome: BatchOutcome): void {
    const labels = { sink: this.name };
    viewMetrics.eventsApplied.inc(labels, outcome.applied);
    viewMetrics.eventsSkipped.inc(labels, outcome.skipped);
    viewMetrics.eventsRejected.inc(labels, outcome.rejected.length);
    viewMetrics.groupsTouched.inc(labels, outcome.groupsTouched);
    const last = outcome.fresh[outcome.fresh.length - 1];
    if (!last) return;
    viewMetrics.lastAppliedLsn.set({ sink: this.name, partition: String(batch.partition) }, Number(last.pos.lsn));
    if (last.commitTs) {
      this.lastCommitTs = last.commitTs;
      const committed = Date.parse(last.commitTs);
      if (!Number.isNaN(committed)) viewMetrics.lagSeconds.set(labels, Math.max(0, (Date.now() - committed) / 1000));
    }
  }

  private requireView(): ResolvedView {
    if (!this.view) throw new Error(`view ${this.name} is not open`);
    return this.view;
  }

  private requireOpen(): ViewStatements {
    if (!this.statements) throw new Error(`view ${this.name} is not open`);
    return this.statements;
  }
}
