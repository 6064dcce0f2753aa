import { qualifiedTable, type ChangeEvent, type ColumnValue, type Row, type Lsn } from '@distributary/core';
import {
  UNCHANGED_TOAST,
  type BeginMessage,
  type DeleteMessage,
  type InsertMessage,
  type RawTuple,
  type RelationMessage,
  type TruncateMessage,
  type UpdateMessage,
} from '@distributary/pg-protocol';
import { convertScalar, convertValue } from './types/convert';
import type { TypeLookup } from './type-lookup';
import type { ScalarKind, ValueKind } from './types/value-kind';

export interface DecodedColumn {
  name: string;
  kind: ValueKind;
}

export interface DecodedRelation {
  table: string;
  columns: DecodedColumn[];
  keyColumns: string[];
  replicaIdentity: RelationMessage['replicaIdentity'];
}

/** An event whose after-row may still miss unchanged TOAST columns (listed in `unchanged`). */
export interface DecodedChange {
  event: ChangeEvent;
  relation: DecodedRelation;
  unchanged: string[];
  /** The old row under REPLICA IDENTITY FULL (may itself miss unchanged TOAST values). */
  oldRow?: Row;
  /** Key under which the previous version of the row was logged, when it differs from event.key. */
  lookupKey?: Row;
  /** canonicalKey(event.table, event.key), computed once. */
  canonical?: string;
}

/**
 * How a relation's tuples are turned into rows, worked out once per Relation message (a later
 * Relation message for the same OID replaces it): column names, each column's conversion, where the
 * key columns are.
 */
interface CompiledRelation {
  names: string[];
  /** Scalar kind per column, or undefined for an array column (converted by convertValue). */
  scalars: (ScalarKind | undefined)[];
  kinds: ValueKind[];
  /** Index in the tuple of each key column (-1 when the relation lacks it). */
  keyIndexes: number[];
  /** canonicalKey(table, key) for a key of this relation, with the constant parts prebuilt. */
  canonical: (key: Row) => string;
}

/**
 * canonicalKey(table, key) (libs/core codec: `<table>:` + the JSON of [[name, value], …] sorted by
 * name) for keys whose columns are `keyColumns`, with the table, names and punctuation prebuilt.
 */
export function canonicalKeyBuilder(table: string, keyColumns: readonly string[]): (key: Row) => string {
  const names = [...new Set(keyColumns)].sort();
  const heads = names.map((name, i) => `${i === 0 ? '' : ','}[${JSON.stringify(name)},`);
  const prefix = `${table}:[`;
  return (key) => {
    let text = prefix;
    for (let i = 0; i < names.length; i++) {
      const value = key[names[i]];
      text += `${heads[i]}${value === undefined ? 'null' : JSON.stringify(value)}]`;
    }
    return `${text}]`;
  };
}

function compile(relation: DecodedRelation): CompiledRelation {
  const names = relation.columns.map((c) => c.name);
  return {
    names,
    kinds: relation.columns.map((c) => c.kind),
    scalars: relation.columns.map((c) => ('array' in c.kind ? undefined : c.kind.scalar)),
    keyIndexes: relation.keyColumns.map((k) => names.indexOf(k)),
    canonical: canonicalKeyBuilder(relation.table, relation.keyColumns),
  };
}

/** Relations decoded by hand elsewhere (tests) get compiled on first use. */
const compiledOf = new WeakMap<DecodedRelation, CompiledRelation>();

function compiled(relation: DecodedRelation): CompiledRelation {
  let found = compiledOf.get(relation);
  if (!found) {
    found = compile(relation);
    compiledOf.set(relation, found);
  }
  return found;
}

/** Shared by every row without an unchanged TOAST value (frozen: nobody may add to it). */
const NO_UNCHANGED = Object.freeze([]) as unknown as string[];

export interface TransactionContext {
  commitLsn: Lsn;
  xid: number;
  commitTs: string;
  nextSeq: number;
}

/** Microseconds since the Unix epoch → '2024-01-02T03:04:05.123456Z'. */
export function isoFromMicros(micros: bigint): string {
  const millis = Number(micros / 1000n);
  const fraction = (((micros % 1_000_000n) + 1_000_000n) % 1_000_000n).toString().padStart(6, '0');
  return `${new Date(millis).toISOString().slice(0, 19)}.${fraction}Z`;
}

/**
 * Turns pgoutput row messages into ChangeEvents. Positions: every event of a transaction carries the
 * transaction's COMMIT LSN (known from BEGIN) and a running seq 0,1,2… — so events can be appended
 * before the COMMIT message arrives and a replay produces the very same entry IDs.
 * Columns follow the latest Relation message, so schema changes take effect without a restart.
 */
export class ChangeDecoder {
  private readonly relations = new Map<number, DecodedRelation>();
  private tx: TransactionContext | null = null;
  /** canonicalKey of the event insertEvent() returned last (a side channel: no wrapper per event). */
  lastCanonical = '';

  constructor(
    private readonly types: TypeLookup,
    /** Primary-key columns of a table, when it has one (preferred over a FULL identity's all-columns key). */
    private readonly primaryKeyOf: (table: string) => Promise<string[]>,
  ) {}

  get transaction(): TransactionContext | null {
    return this.tx;
  }

  async relation(message: RelationMessage): Promise<DecodedRelation> {
    const table = qualifiedTable(message.schema, message.name);
    const columns: DecodedColumn[] = [];
    for (const column of message.columns)
      columns.push({ name: column.name, kind: await this.types.resolve(column.typeOid) });
    const primaryKey = await this.primaryKeyOf(table);
    const names = new Set(columns.map((c) => c.name));
    const keyColumns =
      primaryKey.length > 0 && primaryKey.every((k) => names.has(k))
        ? primaryKey
        : message.columns.filter((c) => c.isKey).map((c) => c.name);
    const decoded: DecodedRelation = { table, columns, keyColumns, replicaIdentity: message.replicaIdentity };
    compiledOf.set(decoded, compile(decoded));
    this.relations.set(message.relationOid, decoded);
    return decoded;
  }

  begin(message: BeginMessage): void {
    this.tx = {
      commitLsn: message.commitLsn,
      xid: message.xid,
      commitTs: isoFromMicros(message.commitTimeMicros),
      nextSeq: 0,
    };
  }

  commit(): TransactionContext | null {
    const tx = this.tx;
    this.tx = null;
    return tx;
  }

  insert(message: InsertMessage): DecodedChange[] {
    const relation = this.relationOf(message.relationOid);
    const { row, unchanged } = this.toRow(relation, message.newTuple);
    return [this.change(relation, 'c', this.keyOf(relation, row), undefined, row, unchanged)];
  }

  /**
   * The common case, allocation-lean: an insert whose row is complete (no unchanged TOAST marker, as
   * an insert never has) becomes one event, without the DecodedChange wrapper. Returns undefined when
   * the slow path (insert()) is needed.
   */
  insertEvent(message: InsertMessage): ChangeEvent | undefined {
    const relation = this.relationOf(message.relationOid);
    const tuple = message.newTuple;
    const { names, scalars, kinds, keyIndexes, canonical } = compiled(relation);
    if (tuple.length !== names.length) throw tupleMismatch(relation, tuple);
    const row: Row = {};
    for (let i = 0; i < names.length; i++) {
      const raw = tuple[i];
      if (raw === UNCHANGED_TOAST) return undefined;
      if (raw === undefined) continue;
      const scalar = scalars[i];
      row[names[i]] = raw === null ? null : scalar ? convertScalar(raw, scalar) : convertValue(raw, kinds[i]);
    }
    const key: Row = {};
    const keyNames = relation.keyColumns;
    for (let k = 0; k < keyNames.length; k++) {
      const index = keyIndexes[k];
      const value: ColumnValue | undefined = index < 0 ? undefined : row[names[index]];
      key[keyNames[k]] = value ?? null;
    }
    const tx = this.tx;
    if (!tx) throw new Error(`pgoutput c on ${relation.table} outside a transaction`);
    this.lastCanonical = canonical(key);
    return {
      pos: { lsn: tx.commitLsn, seq: tx.nextSeq++ },
      op: 'c',
      table: relation.table,
      key,
      after: row,
      xid: tx.xid,
      commitTs: tx.commitTs,
    };
  }

  update(message: UpdateMessage): DecodedChange[] {
    const relation = this.relationOf(message.relationOid);
    const { row: after, unchanged } = this.toRow(relation, message.newTuple);
    const old = message.oldTuple ? this.toRow(relation, message.oldTuple).row : undefined;
    const newKey = this.keyOf(relation, after);
    const oldKey = message.keyTuple
      ? this.keyOf(relation, this.toRow(relation, message.keyTuple).row)
      : old
        ? this.keyOf(relation, old)
        : newKey;
    if (!sameKey(oldKey, newKey)) {
      // The key itself changed: the old key is deleted and the new key created (they may live in
      // different partitions). The new row's unchanged TOAST values are filled from the old key.
      const deletion = this.change(relation, 'd', oldKey, old, undefined, []);
      const creation = this.change(relation, 'c', newKey, undefined, after, unchanged, old);
      creation.lookupKey = oldKey;
      return [deletion, creation];
    }
    return [this.change(relation, 'u', newKey, old, after, unchanged, old)];
  }

  delete(message: DeleteMessage): DecodedChange[] {
    const relation = this.relationOf(message.relationOid);
    const tuple = message.oldTuple ?? message.keyTuple;
    if (!tuple) throw new Error(`pgoutput delete on ${relation.table} without key or old tuple`);
    const { row } = this.toRow(relation, tuple);
    const before = message.oldTuple ? row : undefined;
    return [this.change(relation, 'd', this.keyOf(relation, row), before, undefined, [])];
  }

  truncate(message: TruncateMessage): DecodedChange[] {
    return message.relationOids.map((oid) => {
      const relation = this.relationOf(oid);
      return this.change(relation, 't', {}, undefined, undefined, []);
    });
  }

  /** Converts a raw tuple of a table to a row (used for re-reads as well). */
  toRow(relation: DecodedRelation, tuple: RawTuple): { row: Row; unchanged: string[] } {
    const { names, scalars, kinds } = compiled(relation);
    if (tuple.length !== names.length) throw tupleMismatch(relation, tuple);
    const row: Row = {};
    let unchanged = NO_UNCHANGED;
    for (let i = 0; i < names.length; i++) {
      const raw = tuple[i];
      if (raw === UNCHANGED_TOAST) {
        if (unchanged === NO_UNCHANGED) unchanged = [];
        unchanged.push(names[i]);
      } else if (raw !== undefined) {
        const scalar = scalars[i];
        row[names[i]] = raw === null ? null : scalar ? convertScalar(raw, scalar) : convertValue(raw, kinds[i]);
      }
    }
    return { row, unchanged };
  }

  private change(
    relation: DecodedRelation,
    op: ChangeEvent['op'],
    key: Row,
    before: Row | undefined,
    after: Row | undefined,
    unchanged: string[],
    oldRow?: Row,
  ): DecodedChange {
    const tx = this.tx;
    if (!tx) throw new Error(`pgoutput ${op} on ${relation.table} outside a transaction`);
    // Built property by property (no spreads), in the order the log's JSON has always had.
    const event: ChangeEvent = { pos: { lsn: tx.commitLsn, seq: tx.nextSeq++ }, op, table: relation.table, key };
    if (before) event.before = before;
    if (after) event.after = after;
    event.xid = tx.xid;
    event.commitTs = tx.commitTs;
    const change: DecodedChange = { event, relation, unchanged, canonical: compiled(relation).canonical(key) };
    if (oldRow) change.oldRow = oldRow;
    return change;
  }

  private keyOf(relation: DecodedRelation, row: Row): Row {
    const key: Row = {};
    for (const name of relation.keyColumns) key[name] = row[name] ?? null;
    return key;
  }

  private relationOf(oid: number): DecodedRelation {
    const relation = this.relations.get(oid);
    if (!relation) throw new Error(`pgoutput: row for relation ${oid} before its Relation message`);
    return relation;
  }
}

/** A tuple whose column count differs from its Relation message's: a damaged message, never a row. */
function tupleMismatch(relation: DecodedRelation, tuple: RawTuple): Error {
  return new Error(
    `pgoutput: ${relation.table}: a tuple of ${tuple.length} column(s), its Relation message has ${relation.columns.length}`,
  );
}

function sameKey(a: Row, b: Row): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
