import type { ClientBase } from 'pg';
import {
  exactJson,
  type ChangeEvent,
  type ColumnValue,
  type Position,
  type RejectedEvent,
  columnOf,
  comparePositions,
} from '@distributary/core';
import { convertValue, inputConversion } from '../plan/pg-input';
import type { ResolvedView } from '../parse/resolve-view';
import type { Side } from '../parse/view-sql';
import type { ViewStatements } from '../plan/view-statements';

export interface MirrorRow {
  __pk: string;
  __lsn: string;
  __seq: number;
  __deleted: boolean;
  [column: string]: ColumnValue;
}

export interface PreparedEvents {
  rows: Record<Side, Map<string, { row: MirrorRow; event: ChangeEvent }>>;
  truncates: Partial<Record<Side, Position>>;
  rejected: RejectedEvent[];
  /** Events of tables this view does not read (nothing to do). */
  ignored: number;
}

export interface EngineResult {
  /** Fact rows whose contribution was recomputed (stale and duplicate events affect none). */
  factsAffected: number;
  rejected: RejectedEvent[];
  groupsTouched: number;
}

export function prepareEvents(view: ResolvedView, events: ChangeEvent[]): PreparedEvents {
  const prepared: PreparedEvents = {
    rows: { fact: new Map(), lookup: new Map() },
    truncates: {},
    rejected: [],
    ignored: 0,
  };
  for (const event of events) {
    const side: Side | undefined =
      event.table === view.factTable ? 'fact' : event.table === view.lookupTable ? 'lookup' : undefined;
    if (!side) {
      prepared.ignored++;
      continue;
    }
    if (event.op === 't') {
      const current = prepared.truncates[side];
      if (!current || comparePositions(event.pos, current) > 0) prepared.truncates[side] = event.pos;
      continue;
    }
    const built = buildRow(view, side, event);
    if (typeof built === 'string') {
      prepared.rejected.push({ event, error: built });
      continue;
    }
    const existing = prepared.rows[side].get(built.__pk);
    if (!existing || comparePositions(event.pos, existing.event.pos) > 0)
      prepared.rows[side].set(built.__pk, { row: built, event });
  }
  return prepared;
}

/** Primary key of a mirrored row: the event key as canonical JSON (names sorted). */
export function mirrorKey(key: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(key)
      .sort()
      .map((name) => [name, key[name]]),
  );
}

function buildRow(view: ResolvedView, side: Side, event: ChangeEvent): MirrorRow | string {
  if (!event.key || Object.keys(event.key).length === 0) return `event on ${event.table} has no key`;
  const columns = side === 'fact' ? view.factColumns : view.lookupColumns;
  const deleted = event.op === 'd';
  const source = deleted ? event.key : event.after;
  if (!source) return `${event.op} event on ${event.table} has no after image`;
  const row: MirrorRow = {
    __pk: mirrorKey(event.key),
    __lsn: event.pos.lsn.toString(),
    __seq: event.pos.seq,
    __deleted: deleted,
  };
  for (const { column, type } of columns) {
    const value = columnOf(source, column); // never an inherited member (a column named `constructor`)
    if (value === undefined && !deleted)
      return `column ${column} of ${event.table} is missing from the event's row (the view needs it)`;
    const convert = value === undefined || value === null ? undefined : inputConversion(type.baseType);
    row[column] = convert ? convertValue(value as ColumnValue, convert) : (value ?? null);
  }
  return row;
}

/**
 * Applies change events to one generation of a view inside the caller's open transaction.
 *
 * Every step is guarded by the row version (commit LSN, seq): a mirrored row only moves forward, a
 * TRUNCATE raises a floor below which events are ignored, and group state changes by the difference
 * between a fact's new and old contribution. So this function is idempotent and order-insensitive
 * across keys on its own; the caller adds exactly-once bookkeeping (positions in the same transaction).
 */
export async function applyPrepared(
  client: ClientBase,
  statements: ViewStatements,
  prepared: PreparedEvents,
): Promise<EngineResult> {
  const affected = new Set<string>();
  const add = (keys: Iterable<string>): void => {
    for (const key of keys) affected.add(key);
  };
  for (const side of ['fact', 'lookup'] as const) {
    const position = prepared.truncates[side];
    if (!position) continue;
    const lsn = position.lsn.toString();
    await client.query(statements.raiseFloor(side), [lsn, position.seq]);
    const truncated = await client.query<{ __pk: string }>(statements.truncateMirror(side), [lsn, position.seq]);
    if (side === 'fact') add(truncated.rows.map((r) => r.__pk));
    else add((await client.query<{ __pk: string }>(statements.allContributingFacts())).rows.map((r) => r.__pk));
  }
  const factRows = [...prepared.rows.fact.values()].map((entry) => entry.row);
  if (factRows.length) {
    const changed = await client.query<{ __pk: string }>(statements.upsertMirror('fact'), [exactJson(factRows)]);
    add(changed.rows.map((r) => r.__pk));
  }
  const lookupRows = [...prepared.rows.lookup.values()].map((entry) => entry.row);
  if (lookupRows.length) {
    const changed = await client.query<{ __pk: string }>(statements.upsertMirror('lookup'), [exactJson(lookupRows)]);
    if (changed.rows.length) {
      const facts = await client.query<{ __pk: string }>(statements.factsOfLookups(), [
        changed.rows.map((r) => r.__pk),
      ]);
      add(facts.rows.map((r) => r.__pk));
    }
  }
  const factsAffected = affected.size;
  if (affected.size === 0) return { factsAffected, rejected: prepared.rejected, groupsTouched: 0 };
  const keys = [...affected];
  const touched = (await client.query<{ __gk: string }>(statements.applyGroupDeltas(), [keys])).rows.map((r) => r.__gk);
  await client.query(statements.deleteContributions(), [keys]);
  await client.query(statements.insertContributions(), [keys]);
  await client.query(statements.refreshTargetRows(), [touched]);
  for (const sql of statements.deleteEmptyGroups()) await client.query(sql, [touched]);
  return { factsAffected, rejected: prepared.rejected, groupsTouched: touched.length };
}

/**
 * After a batch failed with a data error (a value that does not convert to the column's type), finds
 * the events whose rows cannot be converted, one by one, so they can be dead-lettered.
 */
export async function findUnconvertible(
  client: ClientBase,
  statements: ViewStatements,
  prepared: PreparedEvents,
): Promise<RejectedEvent[]> {
  const rejected: RejectedEvent[] = [];
  for (const side of ['fact', 'lookup'] as const) {
    for (const [key, { row, event }] of prepared.rows[side]) {
      try {
        await client.query(statements.convertRows(side), [exactJson([row])]);
      } catch (error) {
        rejected.push({ event, error: `value does not fit the view's column type: ${(error as Error).message}` });
        prepared.rows[side].delete(key);
      }
    }
  }
  return rejected;
}
