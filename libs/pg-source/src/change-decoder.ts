import { qualifiedTable, type ChangeEvent, type Row, type Lsn } from '@distributary/core';
import {
  UNCHANGED_TOAST,
  type BeginMessage,
  type DeleteMessage,
  type InsertMessage,
  type RawTuple,
  type RelationMessage,
  type TruncateMessage,
  type UpdateMessage,
} from './pgoutput-messages';
import { convertValue } from './types/convert';
import type { TypeResolver } from './types/type-resolver';
import type { ValueKind } from './types/value-kind';

/**
 * Turns pgoutput row messages into ChangeEvents. Positions: every event of a transaction carries the
 * transaction's COMMIT LSN (known from BEGIN) and a running seq 0,1,2… — so events can be appended
 * before the COMMIT message arrives and a replay produces the very same entry IDs.
 * Columns follow the latest Relation message, so schema changes take effect without a restart.
 */
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
}

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

export class ChangeDecoder {
  private readonly relations = new Map<number, DecodedRelation>();
  private tx: TransactionContext | null = null;

  constructor(
    private readonly types: TypeResolver,
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
    const row: Row = {};
    const unchanged: string[] = [];
    relation.columns.forEach((column, index) => {
      const raw = tuple[index];
      if (raw === UNCHANGED_TOAST) unchanged.push(column.name);
      else if (raw !== undefined) row[column.name] = convertValue(raw, column.kind);
    });
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
    const event: ChangeEvent = {
      pos: { lsn: tx.commitLsn, seq: tx.nextSeq++ },
      op,
      table: relation.table,
      key,
      ...(before ? { before } : {}),
      ...(after ? { after } : {}),
      xid: tx.xid,
      commitTs: tx.commitTs,
    };
    return { event, relation, unchanged, ...(oldRow ? { oldRow } : {}) };
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

function sameKey(a: Row, b: Row): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
