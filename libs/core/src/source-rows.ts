import type { Row } from './event';

/**
 * The port through which a sink re-reads rows of the source database (the Elasticsearch sink reads a
 * document's root and joined rows with it). The sink knows tables, columns and keys; it never sees the
 * source's protocol, catalog or type decoding: every row comes back already converted per the type
 * contract, exactly as the connector converts streamed rows, so a re-read row equals the row of its event.
 * The PostgreSQL implementation is PgSourceRows (libs/postgres/snapshot), injected where the sink is
 * built (the worker's libs/worker/src/create-sink.ts, verify's repair, tests).
 */
export interface SourceRows {
  /** The table's description, loaded from the source the first time (outside any snapshot). */
  tableInfo(table: string): Promise<SourceTable>;
  /** The description loaded earlier by tableInfo; throws when it was not. */
  cachedInfo(table: string): SourceTable;
  /**
   * Runs `work` in one read-only snapshot of the source that sees every commit already in the change
   * log: a document's root and joined rows come from one consistent state. `work` may run again when a
   * table's columns changed meanwhile (the description is reloaded first).
   */
  snapshot<T>(work: (reader: SnapshotReader) => Promise<T>): Promise<T>;
  /** Releases the connections; the sink it was given to closes it. */
  close(): Promise<void>;
}

/** A source table as its readers see it. */
export interface SourceTable {
  table: string;
  /** Each column's SQL type (as format_type writes it), in column order. */
  columns: Map<string, string>;
  /** Each column's base type (domains and arrays followed down): its pg_catalog name, or 'other'
   *  (enums, composites, ranges of extension types…, all written as PostgreSQL's text). */
  baseTypes: Map<string, string>;
  primaryKey: string[];
}

/** Reads inside one snapshot (SourceRows.snapshot). */
export interface SnapshotReader {
  /** Rows matching any of `conditions`, optionally ordered by `orderBy` (SQL column list) or one keyset page. */
  select(table: string, conditions: RowCondition[], orderBy?: readonly string[], page?: PageRequest): Promise<Row[]>;
}

/** Rows whose `columns` equal one of `tuples` (each tuple holds those columns); no columns: every row. */
export interface RowCondition {
  columns: readonly string[];
  tuples: Row[];
}

/** One page of a keyset scan: rows ordered by `key`, after the `after` key values, at most `limit`. */
export interface PageRequest {
  key: readonly string[];
  after?: Row;
  limit: number;
}
