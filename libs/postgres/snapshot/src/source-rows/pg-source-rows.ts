import { Pool, type PoolClient } from 'pg';
import {
  RetryableError,
  quoteIdent,
  type PageRequest,
  type Row,
  type RowCondition,
  type SnapshotReader,
  type SourceRows,
} from '@distributary/core';
import type { Logger } from '@distributary/observability';
import { SOURCE_SESSION_OPTIONS, TypeResolver, quoteTable, survivesDroppedConnections } from '@distributary/pg-catalog';
import { convertValue } from '@distributary/pg-decode';
import { beginVisibleSnapshot } from '../visible-snapshot';
import { loadTableInfo, type TableInfo } from './table-info';
import { Slots } from './slots';

/** Row queries return the server's text; convertValue (libs/postgres/decode) then renders it like events. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

export interface PgSourceRowsOptions {
  /** Connections to the source; as many batches can hold a read snapshot at once (default 4). */
  poolSize?: number;
  /** Warned when a snapshot has to wait for commits not yet visible (beginVisibleSnapshot). */
  logger?: Logger;
}

const CONNECTION_ERROR_CODES = /^(08|57P|53)|^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH)$/;

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.test(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(message);
}

/** The table's columns differ from its cached catalog entry. */
class SchemaChanged extends Error {
  constructor(readonly table: string) {
    super(`the columns of ${table} changed while the sink was reading it`);
  }
}

const SCHEMA_RELOADS = 3;

/**
 * SourceRows (libs/core) on PostgreSQL, given to the Elasticsearch sink where the sink is built (e.g.
 * libs/worker/src/create-sink.ts): re-reads documents' rows from the source. All reads for one batch
 * run in ONE read-only REPEATABLE READ transaction, so a document's root row and its joined rows come
 * from one snapshot, taken after every event of the batch committed (the events were already in the
 * log) and begun by beginVisibleSnapshot (../visible-snapshot.ts): "in the log" alone does not make a
 * commit visible to a new snapshot (a commit waiting for a synchronous standby is decoded first), and a
 * document built from a snapshot missing a logged change would be written at a version above it — that
 * change's own write rejected. Values are converted exactly as the connector converts streamed rows
 * (convertValue of libs/postgres/decode, same session settings), so a re-read document equals one built
 * from the event.
 *
 * Connections: every use of the pool first takes one of `poolSize` slots, and no code path holds a
 * connection (or a slot) while it needs another one. Column types are resolved once per table when
 * its catalog entry is loaded (never inside a batch's transaction); a query whose columns no longer
 * match that entry (a column added or retyped) fails the transaction with SchemaChanged, the entry is
 * reloaded after the connection went back, and the batch's reads run again.
 */
export class PgSourceRows implements SourceRows {
  private readonly pool: Pool;
  private readonly slots: Slots;
  private readonly types: TypeResolver;
  private readonly infos = new Map<string, TableInfo>();
  private readonly loading = new Map<string, Promise<TableInfo>>();
  private readonly logger?: Logger;

  constructor(url: string, options: PgSourceRowsOptions = {}) {
    this.logger = options.logger;
    const size = Math.max(1, options.poolSize ?? 4);
    this.pool = new Pool({
      connectionString: url,
      max: size,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      options: SOURCE_SESSION_OPTIONS,
    });
    this.slots = new Slots(size);
    this.types = new TypeResolver(this.pool);
    this.pool.on('error', () => undefined); // idle client errors surface on the next query instead
    survivesDroppedConnections(this.pool); // and so do errors of a client checked out between queries
  }

  get poolSize(): number {
    return this.slots.size;
  }

  /** The table's catalog entry, loaded (with its column types resolved) the first time. */
  async tableInfo(table: string): Promise<TableInfo> {
    return this.infos.get(table) ?? this.load(table);
  }

  cachedInfo(table: string): TableInfo {
    const info = this.infos.get(table);
    if (!info) throw new Error(`table ${table} was not loaded at open()`);
    return info;
  }

  /** Runs `work` in one REPEATABLE READ READ ONLY transaction on one connection, seeing every logged commit. */
  async snapshot<T>(work: (reader: SnapshotReader) => Promise<T>): Promise<T> {
    for (let reloads = 0; ; reloads++) {
      try {
        return await this.guard(() => this.slots.run(() => this.inTransaction(work)));
      } catch (error) {
        if (!(error instanceof SchemaChanged) || reloads >= SCHEMA_RELOADS) throw error;
        this.infos.delete(error.table);
        await this.tableInfo(error.table); // no connection held here
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private load(table: string): Promise<TableInfo> {
    let loading = this.loading.get(table);
    if (!loading) {
      loading = this.guard(() => this.slots.run(() => loadTableInfo(this.pool, this.types, table)))
        .then((info) => {
          this.infos.set(table, info);
          return info;
        })
        .finally(() => this.loading.delete(table));
      this.loading.set(table, loading);
    }
    return loading;
  }

  private async inTransaction<T>(work: (reader: SnapshotReader) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out client whose connection dies emits 'error'; without a listener that crashes the
    // process. The query in progress fails on its own and marks the client broken below.
    let broken = false;
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await beginVisibleSnapshot(client, { logger: this.logger });
      const result = await work({ select: (t, c, o, p) => this.select(client, t, c, o, p) });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken ||= isConnectionError(error);
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  private async select(
    client: PoolClient,
    table: string,
    conditions: RowCondition[],
    orderBy: readonly string[] = [],
    page?: PageRequest,
  ): Promise<Row[]> {
    const live = conditions.filter((c) => c.tuples.length > 0);
    if (live.length === 0) return [];
    const info = this.cachedInfo(table);
    const params: string[] = [];
    const predicates = live.map((condition) => {
      if (condition.columns.length === 0) return 'TRUE'; // no columns: every row (a truncated lookup's roots)
      params.push(JSON.stringify(condition.tuples));
      const cols = condition.columns.map((c) => `t.${quoteIdent(c)}`).join(', ');
      const xcols = condition.columns.map((c) => `x.${quoteIdent(c)}`).join(', ');
      const defs = condition.columns.map((c) => `${quoteIdent(c)} ${columnType(info, c)}`).join(', ');
      return `(${cols}) IN (SELECT ${xcols} FROM jsonb_to_recordset($${params.length}::jsonb) AS x(${defs}))`;
    });
    let where = predicates.join(' OR ');
    let order = orderBy.length > 0 ? ` ORDER BY ${orderBy.join(', ')}` : '';
    if (page) {
      const keyCols = page.key.map((c) => `t.${quoteIdent(c)}`).join(', ');
      if (page.after) {
        params.push(JSON.stringify([page.after]));
        const xcols = page.key.map((c) => `x.${quoteIdent(c)}`).join(', ');
        const defs = page.key.map((c) => `${quoteIdent(c)} ${columnType(info, c)}`).join(', ');
        const after = `(SELECT ${xcols} FROM jsonb_to_recordset($${params.length}::jsonb) AS x(${defs}))`;
        where = `(${where}) AND (${keyCols}) > ${after}`;
      }
      order = ` ORDER BY ${keyCols} LIMIT ${Math.max(1, Math.floor(page.limit))}`;
    }
    const sql = `SELECT t.* FROM ${quoteTable(table)} t WHERE ${where}${order}`;
    const result = await client.query<(string | null)[]>({
      text: sql,
      values: params,
      types: RAW_TEXT,
      rowMode: 'array',
    });
    const kinds = result.fields.map((field) => {
      const column = info.kinds.get(field.name);
      if (!column || column.oid !== field.dataTypeID) throw new SchemaChanged(table);
      return column.kind;
    });
    const names = result.fields.map((field) => field.name);
    return result.rows.map((values) => {
      const row: Row = {};
      for (let i = 0; i < names.length; i++) row[names[i]] = convertValue(values[i], kinds[i]);
      return row;
    });
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isConnectionError(error)) {
        throw new RetryableError(`source database unreachable: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    }
  }
}

function columnType(info: TableInfo, column: string): string {
  const type = info.columns.get(column);
  if (!type) throw new Error(`column ${column} does not exist in ${info.table}`);
  return type;
}
