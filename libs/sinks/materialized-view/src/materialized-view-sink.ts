import { Pool, type PoolClient } from 'pg';
import {
  type ApplyResult,
  type ChangeEvent,
  DistributaryError,
  FencedError,
  type RejectedEvent,
  RetryableError,
  type Sink,
  type SinkBatch,
  type SinkLagInfo,
  compareIds,
  idToPosition,
  maxId,
  positionToId,
} from '@distributary/core';
import type { MaterializedViewSinkConfig } from '@distributary/config';
import { type Logger, silentLogger } from '@distributary/observability';
import { applyPrepared, findUnconvertible, prepareEvents } from './apply-events';
import { loadCatalog } from './catalog';
import { viewMetrics } from './metrics';
import { classifyTargetError, isDataError, isRetryable } from './pg-errors';
import { type ResolvedView, resolveView } from './resolve-view';
import { type ViewDefinition, loadViewSqlParser, parseViewSqlSync } from './view-sql';
import { ViewRegistry } from './view-registry';
import { ViewStatements } from './view-statements';
import { TransactionGate, type TransactionSizeLookup } from './transaction-gate';
import { ident, viewTableNames } from './view-tables';
import { DEFAULT_PIPELINE, assertOwner, markOwner, tableOwner, viewStateKey, type ViewOwner } from './view-ownership';

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

export interface RebuildOptions {
  /** Positions the rebuild's events reach, stored at the swap; default: keep the stored positions. */
  positions?: Map<number, string>;
}

export interface RebuildResult {
  generation: number;
  events: number;
  rejected: RejectedEvent[];
}

const DEFAULT_STATE_SCHEMA = 'distributary_views';
const DDL_LOCK = 'distributary-views-ddl';

export async function createMaterializedViewSink(
  config: MaterializedViewSinkConfig,
  deps: MaterializedViewSinkDeps = {},
): Promise<MaterializedViewSink> {
  await loadViewSqlParser();
  return new MaterializedViewSink(config, deps);
}

export class MaterializedViewSink implements Sink {
  readonly kind = 'view';
  readonly storesPositions = true;
  readonly name: string;
  readonly tables: readonly string[];
  readonly definition: ViewDefinition;

  private readonly logger: Logger;
  private readonly registry: ViewRegistry;
  /** Registry, positions, state tables and locks are keyed by this: the sink name within its pipeline. */
  private readonly stateKey: string;
  private readonly owner: ViewOwner;
  private readonly stateSchema: string;
  private readonly gate?: TransactionGate;
  private pool?: Pool;
  private view?: ResolvedView;
  private statements?: ViewStatements;
  private stale = false;
  /** Set when the source tables' columns changed under the running view and it cannot rebuild here (see reshape). */
  private shapeChange?: string;
  /** The reopen (and rebuild) in progress after a shape change: every partition waits for the one. */
  private reshaping?: Promise<void>;
  /** A shape change found by a batch already applying (a value that did not convert): reshape next. */
  private pendingShapeChange?: string;
  /** Applies past the shape check, inside their transaction: a reshape waits until none is left. */
  private appliesInFlight = 0;
  private readonly drainWaiters: (() => void)[] = [];
  /** Snapshots whose rows were already checked for a shape change. */
  private readonly checkedSnapshots = new Set<string>();
  private lastCommitTs?: string;
  private batchesSincePurge = 0;

  /** Needs the SQL parser loaded (await loadViewSqlParser(), or use createMaterializedViewSink). */
  constructor(
    private readonly config: MaterializedViewSinkConfig,
    private readonly deps: MaterializedViewSinkDeps = {},
  ) {
    this.name = config.name;
    this.definition = parseViewSqlSync(config.sql);
    this.tables = this.definition.tables;
    this.logger = (deps.logger ?? silentLogger).child({ sink: config.name });
    this.stateSchema = config.view.stateSchema ?? DEFAULT_STATE_SCHEMA;
    this.registry = new ViewRegistry(this.stateSchema);
    this.owner = { pipeline: deps.pipeline ?? DEFAULT_PIPELINE, sink: config.name };
    this.stateKey = viewStateKey(config.name, deps.pipeline);
    if (config.transactional) {
      if (!deps.transactionSize)
        throw new DistributaryError(
          `view ${config.name}: transactional: true needs the worker to provide transaction sizes (deps.transactionSize)`,
        );
      this.gate = new TransactionGate(this.stateSchema, this.stateKey, deps.transactionSize);
    }
  }

  async open(): Promise<void> {
    const catalog = await loadCatalog(this.deps.sourceUrl ?? this.config.view.postgres, this.tables).catch((error) => {
      throw classifyTargetError(error, `view ${this.name}: reading the source catalog`);
    });
    const view = resolveView(this.definition, catalog);
    this.view = view;
    this.pool ??= this.createPool();
    const registered = await this.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [DDL_LOCK]);
      await this.runAll(client, [...this.registry.createTables(), ...(this.gate?.createTables() ?? [])]);
      const found = await this.registry.find(client, this.stateKey);
      if (found) {
        const built = this.namesFor(found.generation, false, found.targetTable).target;
        const owner = await tableOwner(client, built);
        assertOwner(owner, this.owner, found.targetTable, 'maintain');
        if (owner === undefined) await markOwner(client, built, this.owner); // built before markers: claim it
        if (found.fingerprint === view.fingerprint && found.targetTable === this.config.view.table)
          await this.validate(client, new ViewStatements(view, this.namesFor(found.generation)));
        else
          assertOwner(
            await tableOwner(client, this.namesFor(1).target),
            this.owner,
            this.config.view.table,
            'rebuild into',
          );
        return found;
      }
      const names = this.namesFor(1);
      const existing = await tableOwner(client, names.target);
      assertOwner(existing, this.owner, this.config.view.table, 'create');
      if (existing !== null)
        throw new DistributaryError(
          `view ${this.name}: target table ${this.config.view.table} already exists and is not managed by this sink; ` +
            `drop it or choose another view.table`,
        );
      const statements = new ViewStatements(view, names);
      await this.runAll(client, statements.createTables());
      // Still inside the creating transaction: a view that does not fit its source leaves nothing behind.
      await this.validate(client, statements);
      await markOwner(client, names.target, this.owner);
      const created = {
        sink: this.stateKey,
        targetTable: this.config.view.table,
        fingerprint: view.fingerprint,
        generation: 1,
        sql: this.config.sql,
      };
      await this.registry.save(client, created);
      return created;
    }).catch((error: unknown) => {
      throw classifyTargetError(error, `view ${this.name}: preparing the target`);
    });
    this.stale = registered.fingerprint !== view.fingerprint || registered.targetTable !== this.config.view.table;
    this.statements = new ViewStatements(view, this.namesFor(registered.generation));
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
    return this.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `distributary-view:${this.stateKey}`,
      ]);
      await this.runAll(client, statements.recomputeState());
      const keys = (await client.query<{ keys: string[] }>(statements.allGroupKeys())).rows[0].keys;
      await client.query(statements.clearTarget());
      await client.query(statements.refreshTargetRows(), [keys]);
      return { groups: keys.length };
    });
  }

  async apply(batch: SinkBatch): Promise<ApplyResult> {
    while (this.reshaping) await this.reshaping.catch(() => undefined);
    this.requireOpen();
    if (this.stale)
      throw new DistributaryError(
        `view ${this.name}: its SQL changed since ${this.config.view.table} was built; call rebuild() before applying`,
      );
    if (this.shapeChange) throw new RetryableError(this.shapeChange);
    const changed = this.pendingShapeChange ?? (await this.detectShapeChange(batch.events));
    if (changed) await this.reshape(changed);
    const statements = this.requireOpen();
    this.appliesInFlight++;
    try {
      return await this.applyShaped(batch, statements);
    } finally {
      if (--this.appliesInFlight === 0) for (const wake of this.drainWaiters.splice(0)) wake();
    }
  }

  private async applyShaped(batch: SinkBatch, statements: ViewStatements): Promise<ApplyResult> {
    const stopTimer = viewMetrics.batchSeconds.startTimer({ sink: this.name });
    const unconvertible: RejectedEvent[] = [];
    const excluded = new Set<string>();
    let attempted: ChangeEvent[] = [];
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await this.transaction(async (client) => {
          await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
            `distributary-view:${this.stateKey}`,
          ]);
          const stored = await this.registry.lockPosition(client, this.stateKey, batch.partition);
          if (stored && batch.fencingToken < stored.fencingToken)
            throw new FencedError(
              `view ${this.name} partition ${batch.partition}: batch read under fencing token ${batch.fencingToken}, ` +
                `but token ${stored.fencingToken} already applied; this worker lost its lease`,
            );
          const fresh = batch.events.filter(
            (event) => !stored || compareIds(positionToId(event.pos), stored.lastId) > 0,
          );
          attempted = await this.eventsToApply(client, fresh);
          const prepared = prepareEvents(
            this.requireView(),
            attempted.filter((event) => !excluded.has(positionToId(event.pos))),
          );
          const result = await applyPrepared(client, statements, prepared);
          const lastId = stored ? maxId(stored.lastId, batch.lastId) : batch.lastId;
          const fencingToken = Math.max(stored?.fencingToken ?? 0, batch.fencingToken);
          await this.registry.savePosition(client, this.stateKey, batch.partition, { lastId, fencingToken });
          await this.maybePurgeTombstones(client, statements);
          return { result, fresh };
        });
        const rejected = [...unconvertible, ...outcome.result.rejected];
        const applied = Math.max(0, outcome.fresh.length - rejected.length);
        const skipped = batch.events.length - outcome.fresh.length;
        this.record(batch, outcome.fresh, applied, skipped, rejected.length, outcome.result.groupsTouched);
        stopTimer();
        return { applied, skippedAsStale: skipped, rejected };
      } catch (error) {
        if (attempt === 0 && isDataError(error)) {
          const changed = await this.detectShapeChange(batch.events, true).catch((failed: unknown) => {
            stopTimer();
            throw failed;
          });
          if (changed) {
            // not here, inside this batch's apply: the next apply() reshapes once every apply has left
            this.pendingShapeChange = changed;
            stopTimer();
            throw new RetryableError(`view ${this.name}: a source table changed shape (${changed}); rebuilding`);
          }
          const found = await this.findUnconvertible(statements, attempted);
          if (found.length) {
            for (const entry of found) excluded.add(positionToId(entry.event.pos));
            unconvertible.push(...found);
            continue;
          }
        }
        stopTimer();
        throw classifyTargetError(error, `view ${this.name} partition ${batch.partition}`);
      }
    }
  }

  /**
   * A schema change of a source table (`ALTER COLUMN … TYPE`, `DROP COLUMN` of a column the view reads)
   * makes the view's mirrors and outputs the wrong shape: applying on would convert new values to the
   * old types or dead-letter them. The connector re-snapshots a changed table (onSchemaChange: resync),
   * so the first batch holding rows of a new snapshot of a view table (or a batch whose values do not
   * convert) re-reads the source catalog. Returns what changed, or undefined.
   */
  private async detectShapeChange(events: ChangeEvent[], force = false): Promise<string | undefined> {
    const snapshots = new Set<string>();
    for (const event of events)
      if (event.snapshot && !this.checkedSnapshots.has(event.snapshot) && this.tables.includes(event.table))
        snapshots.add(event.snapshot);
    if (!force && snapshots.size === 0) return undefined;
    const catalog = await loadCatalog(this.deps.sourceUrl ?? this.config.view.postgres, this.tables).catch((error) => {
      throw classifyTargetError(error, `view ${this.name}: reading the source catalog`);
    });
    let changed: string | undefined;
    try {
      if (resolveView(this.definition, catalog).fingerprint !== this.requireView().fingerprint)
        changed = 'the columns it reads changed type';
    } catch (error) {
      changed = error instanceof Error ? error.message : String(error);
    }
    for (const id of snapshots) this.checkedSnapshots.add(id);
    return changed;
  }

  /**
   * The view's shape changed: the sink reopens itself once no apply is inside its transaction (new
   * applies wait for the reopen). A worker opens sinks through rebuild-on-open, so the reopen rebuilds
   * the view from the compacted log in the new shape (a staging table, swapped under the apply lock) and
   * applies go on with the new statements: the view heals in place. The log holds every event an apply
   * committed before the reopen, so the rebuild has them; events applied again afterwards are
   * idempotent, as after any rebuild on open. Opened without that (no log to rebuild from), apply
   * refuses with a retried error shown in status until the worker restarts: never a silent change.
   */
  private async reshape(changed: string): Promise<void> {
    this.reshaping ??= (async () => {
      this.logger.warn(
        { tables: this.tables, changed },
        `view ${this.name}: a source table changed shape; rebuilding the view from the compacted log in the new shape`,
      );
      if (this.appliesInFlight > 0) await new Promise<void>((wake) => this.drainWaiters.push(wake));
      await this.open(); // through rebuild-on-open (an own property replacing the method) it rebuilds
      this.pendingShapeChange = undefined;
      if (!this.stale) return;
      this.shapeChange =
        `view ${this.name}: a source table of the view changed shape (${changed}); ` +
        `restart the worker: it rebuilds the view from the compacted log in the new shape — ` +
        `nothing is applied until then`;
      this.logger.error({ tables: this.tables }, this.shapeChange);
    })().finally(() => (this.reshaping = undefined));
    await this.reshaping;
    if (this.shapeChange) throw new RetryableError(this.shapeChange);
  }

  private async maybePurgeTombstones(client: PoolClient, statements: ViewStatements): Promise<void> {
    if (++this.batchesSincePurge < (this.deps.purgeEveryBatches ?? 100)) return;
    this.batchesSincePurge = 0;
    const positions = [...(await this.registry.positionsOf(client, this.stateKey)).values()];
    if (positions.length === 0) return;
    const lowest = idToPosition(positions.reduce((low, id) => (compareIds(id, low) < 0 ? id : low)));
    for (const sql of statements.purgeTombstones()) await client.query(sql, [lowest.lsn.toString(), lowest.seq]);
  }

  /** The events a batch makes visible: all of them, or with the transaction gate, whole source transactions. */
  private async eventsToApply(client: PoolClient, fresh: ChangeEvent[]): Promise<ChangeEvent[]> {
    if (!this.gate) return fresh;
    await this.gate.stage(
      client,
      fresh.filter((event) => !TransactionGate.passesThrough(event)),
    );
    const released = await this.gate.release(client);
    return [...fresh.filter((event) => TransactionGate.passesThrough(event)), ...released];
  }

  async storedPositions(): Promise<Map<number, string>> {
    this.requireOpen();
    try {
      return await this.transaction((client) => this.registry.positionsOf(client, this.stateKey));
    } catch (error) {
      throw classifyTargetError(error, `view ${this.name}: reading stored positions`);
    }
  }

  /**
   * Builds the view again from `events` (the lead feeds the compacted log or a snapshot) into a new
   * generation beside the live one, then swaps it in with one transaction (rename target, drop the old
   * generation, store the new fingerprint). Readers see the old view until the swap, the new one after.
   * apply() must not run concurrently for this sink (the worker pauses it while rebuilding).
   */
  async rebuild(events: AsyncIterable<ChangeEvent[]>, options: RebuildOptions = {}): Promise<RebuildResult> {
    const view = this.requireView();
    const current = await this.transaction(async (client) => this.registry.find(client, this.stateKey));
    const oldGeneration = current?.generation ?? 0;
    const generation = oldGeneration + 1;
    const staging = this.namesFor(generation, true);
    const statements = new ViewStatements(view, staging);
    await this.transaction(async (client) => {
      await client.query(`DROP TABLE IF EXISTS ${staging.target}`);
      await client.query(statements.dropStateTables());
      await this.runAll(client, statements.createTables());
    });
    let count = 0;
    const rejected: RejectedEvent[] = [];
    for await (const batch of events) {
      const result = await this.transaction(async (client) =>
        applyPrepared(client, statements, prepareEvents(view, batch)),
      );
      count += batch.length;
      rejected.push(...result.rejected);
    }
    const live = this.namesFor(generation);
    await this.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `distributary-view:${this.stateKey}`,
      ]);
      assertOwner(await tableOwner(client, live.target), this.owner, this.config.view.table, 'replace');
      if (current) {
        const oldTarget = this.namesFor(oldGeneration, false, current.targetTable).target;
        assertOwner(await tableOwner(client, oldTarget), this.owner, current.targetTable, 'drop');
        const old = this.namesFor(oldGeneration);
        await client.query(`DROP TABLE IF EXISTS ${this.namesFor(oldGeneration, false, current.targetTable).target}`);
        await client.query(new ViewStatements(view, old).dropStateTables());
      }
      await client.query(`DROP TABLE IF EXISTS ${live.target}`);
      await client.query(`ALTER TABLE ${staging.target} RENAME TO ${ident(live.targetName)}`);
      await markOwner(client, live.target, this.owner);
      await this.registry.save(client, {
        sink: this.stateKey,
        targetTable: this.config.view.table,
        fingerprint: view.fingerprint,
        generation,
        sql: this.config.sql,
      });
      if (options.positions) await this.registry.replacePositions(client, this.stateKey, options.positions);
    });
    this.statements = new ViewStatements(view, live);
    this.stale = false;
    this.logger.info({ generation, events: count, rejected: rejected.length }, 'materialized view rebuilt and swapped');
    return { generation, events: count, rejected };
  }

  async describe(): Promise<SinkLagInfo> {
    const positions = this.pool ? await this.storedPositions() : new Map<number, string>();
    const lagSeconds = this.lastCommitTs ? Math.max(0, (Date.now() - Date.parse(this.lastCommitTs)) / 1000) : undefined;
    return {
      description: `materialized view ${this.config.view.table} (${this.tables.join(' + ')})`,
      positions: Object.fromEntries(positions),
      lastCommitTs: this.lastCommitTs,
      lagSeconds,
      needsRebuild: this.stale,
      ...(this.gate
        ? { pendingEvents: await this.withClient((client) => this.requireGate().pendingCount(client)) }
        : {}),
    };
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  private record(
    batch: SinkBatch,
    fresh: ChangeEvent[],
    applied: number,
    skipped: number,
    rejected: number,
    groupsTouched: number,
  ): void {
    const labels = { sink: this.name };
    viewMetrics.eventsApplied.inc(labels, applied);
    viewMetrics.eventsSkipped.inc(labels, skipped);
    viewMetrics.eventsRejected.inc(labels, rejected);
    viewMetrics.groupsTouched.inc(labels, groupsTouched);
    const last = fresh[fresh.length - 1];
    if (!last) return;
    viewMetrics.lastAppliedLsn.set({ sink: this.name, partition: String(batch.partition) }, Number(last.pos.lsn));
    if (last.commitTs) {
      this.lastCommitTs = last.commitTs;
      const committed = Date.parse(last.commitTs);
      if (!Number.isNaN(committed)) viewMetrics.lagSeconds.set(labels, Math.max(0, (Date.now() - committed) / 1000));
    }
  }

  private async findUnconvertible(statements: ViewStatements, events: ChangeEvent[]): Promise<RejectedEvent[]> {
    const prepared = prepareEvents(this.requireView(), events);
    return this.withClient((client) => findUnconvertible(client, statements, prepared));
  }

  /** Runs the view's statements once against empty input, so type mismatches fail at open(). */
  private async validate(client: PoolClient, statements: ViewStatements): Promise<void> {
    try {
      await client.query(statements.contributionsOf(), [[]]);
      await client.query(statements.refreshTargetRows(), [[]]);
    } catch (error) {
      if (isRetryable(error)) throw error;
      throw new DistributaryError(
        `view ${this.name}: the view SQL does not fit the source columns: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  private namesFor(generation: number, staging = false, targetTable = this.config.view.table) {
    return viewTableNames({ stateSchema: this.stateSchema, sink: this.stateKey, generation, targetTable, staging });
  }

  private createPool(): Pool {
    const pool = new Pool({
      connectionString: this.config.view.postgres,
      max: 2,
      // Shortest round-trip float text (float sums go through it, see aggregate-state.ts), whatever the server default.
      options: '-c TimeZone=UTC -c extra_float_digits=1',
    });
    pool.on('error', (error) => this.logger.warn({ err: error }, 'idle view target connection failed'));
    // pg-pool listens only while a client is idle; a checked-out client's dropped connection must fail
    // its next query, not the process.
    pool.on('connect', (client) => client.on('error', () => undefined));
    return pool;
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * A pooled connection for `work`. A connection that fails while checked out emits 'error' on the
   * client (not the pool): listen for it so it surfaces as the failed query, and discard the client.
   */
  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.requirePool().connect();
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    try {
      return await work(client);
    } catch (error) {
      broken ??= isRetryable(error) ? (error as Error) : undefined;
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  private async runAll(client: PoolClient, statements: string[]): Promise<void> {
    for (const sql of statements) await client.query(sql);
  }

  private requirePool(): Pool {
    if (!this.pool) throw new Error(`view ${this.name} is not open`);
    return this.pool;
  }

  private requireView(): ResolvedView {
    if (!this.view) throw new Error(`view ${this.name} is not open`);
    return this.view;
  }

  private requireGate(): TransactionGate {
    if (!this.gate) throw new Error(`view ${this.name} is not transactional`);
    return this.gate;
  }

  private requireOpen(): ViewStatements {
    if (!this.statements) throw new Error(`view ${this.name} is not open`);
    return this.statements;
  }
}
