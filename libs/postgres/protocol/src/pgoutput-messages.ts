/** The value of a column whose unchanged TOAST datum the server did not send (never null, never missing). */
export const UNCHANGED_TOAST: unique symbol = Symbol('unchanged-toast');

/** One column of a tuple: its text form, SQL NULL, or "unchanged TOAST value, not sent". */
export type RawDatum = string | null | typeof UNCHANGED_TOAST;
export type RawTuple = RawDatum[];

export interface RelationColumnInfo {
  name: string;
  typeOid: number;
  typeMod: number;
  /** Part of the replica identity (flag 1). */
  isKey: boolean;
}

export interface BeginMessage {
  tag: 'begin';
  commitLsn: bigint;
  /** Microseconds since the Unix epoch. */
  commitTimeMicros: bigint;
  xid: number;
}
export interface CommitMessage {
  tag: 'commit';
  commitLsn: bigint;
  endLsn: bigint;
  commitTimeMicros: bigint;
}
export interface RelationMessage {
  tag: 'relation';
  relationOid: number;
  schema: string;
  name: string;
  replicaIdentity: 'default' | 'nothing' | 'full' | 'index';
  columns: RelationColumnInfo[];
}
export interface TypeMessage {
  tag: 'type';
  typeOid: number;
  schema: string;
  name: string;
}
export interface InsertMessage {
  tag: 'insert';
  relationOid: number;
  newTuple: RawTuple;
}
export interface UpdateMessage {
  tag: 'update';
  relationOid: number;
  /** Old replica-identity columns, sent when they changed (K). */
  keyTuple?: RawTuple;
  /** Whole old row, sent under REPLICA IDENTITY FULL (O). */
  oldTuple?: RawTuple;
  newTuple: RawTuple;
}
export interface DeleteMessage {
  tag: 'delete';
  relationOid: number;
  keyTuple?: RawTuple;
  oldTuple?: RawTuple;
}
export interface TruncateMessage {
  tag: 'truncate';
  relationOids: number[];
  cascade: boolean;
  restartIdentity: boolean;
}
export interface LogicalMessage {
  tag: 'message';
  transactional: boolean;
  lsn: bigint;
  prefix: string;
  content: Buffer;
}
export interface OriginMessage {
  tag: 'origin';
  originLsn: bigint;
  name: string;
}

/**
 * pgoutput protocol v1 messages as Distributary reads them: tuple values stay the raw text the
 * server sent (no pg type parsers), and an unchanged TOAST datum is an explicit marker, never a
 * null or a missing value. LSNs are bigint.
 */
export type PgoutputMessage =
  | BeginMessage
  | CommitMessage
  | RelationMessage
  | TypeMessage
  | InsertMessage
  | UpdateMessage
  | DeleteMessage
  | TruncateMessage
  | LogicalMessage
  | OriginMessage;
