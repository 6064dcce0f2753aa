import { createHash } from 'node:crypto';
import { quoteIdent, splitTable } from '@distributary/core';

/**
 * Where one generation of a view lives. The target table (what users query) sits in the configured
 * schema; the hidden state (mirrored source rows, per-row contributions, per-group running state,
 * truncation floors) sits in the sink's state schema, suffixed by generation so a rebuild can fill a
 * new generation beside the live one and swap atomically.
 */
export interface ViewTableNames {
  generation: number;
  stateSchema: string;
  /** Mirrored fact rows (latest version per primary key, tombstones kept). */
  facts: string;
  /** Mirrored lookup rows. */
  lookup: string;
  /** Per fact row: the group it counts in and the values it contributes. */
  contrib: string;
  /** Per group: row count, non-null counts, exact sums and NaN/±Infinity/-0 counters. */
  groups: string;
  /** Per group, numeric argument and display scale: how many finite values have that scale. */
  scales: string;
  /** Per side: the position of the latest TRUNCATE; older events are ignored. */
  floors: string;
  /** The user-visible view table (qualified, quoted). */
  target: string;
  targetSchema: string;
  /** Bare name of the target table (unquoted). */
  targetName: string;
  /** Bare (unquoted) name of the unique index on the group columns. */
  targetKeyIndex: string;
}

export function ident(name: string): string {
  return quoteIdent(name);
}

/** A short identifier fragment for a sink name (Postgres identifiers are at most 63 bytes). */
export function sinkIdentifier(sink: string): string {
  const base = sink.replace(/[^a-z0-9_]/g, '_');
  if (base.length <= 30) return base;
  return `${base.slice(0, 21)}_${createHash('sha1').update(sink).digest('hex').slice(0, 8)}`;
}

export function viewTableNames(options: {
  stateSchema: string;
  sink: string;
  generation: number;
  /** 'schema.table' of the view as configured. */
  targetTable: string;
  /** Build the target under a temporary name (rebuild), renamed into place at swap time. */
  staging?: boolean;
}): ViewTableNames {
  const prefix = `${sinkIdentifier(options.sink)}_g${options.generation}`;
  const state = (suffix: string): string => `${ident(options.stateSchema)}.${ident(`${prefix}_${suffix}`)}`;
  const { schema, table } = splitTable(options.targetTable);
  const targetName = options.staging ? stagingName(table, options.generation) : table;
  return {
    generation: options.generation,
    stateSchema: options.stateSchema,
    facts: state('facts'),
    lookup: state('lookup'),
    contrib: state('contrib'),
    groups: state('groups'),
    scales: state('scales'),
    floors: state('floors'),
    target: `${ident(schema)}.${ident(targetName)}`,
    targetSchema: schema,
    targetName,
    targetKeyIndex: `${prefix}_view_key`,
  };
}

function stagingName(table: string, generation: number): string {
  const suffix = `__rebuild_g${generation}`;
  return `${table.slice(0, 63 - suffix.length)}${suffix}`;
}
