import type { ClientBase } from 'pg';
import {
  type ChangeEvent,
  comparePositions,
  decodeEvent,
  encodeEvent,
  exactJson,
  positionToId,
} from '@distributary/core';

/** A staged event: the log's encoded fields, or (staged before this encoding) the event itself. */
type StagedEvent = Record<string, string> | Omit<ChangeEvent, 'pos'>;

function unstage(lsn: string, seq: number, staged: StagedEvent): ChangeEvent {
  const pos = { lsn: BigInt(lsn), seq };
  if (typeof (staged as Record<string, unknown>).e === 'string') {
    return decodeEvent(positionToId(pos), staged as Record<string, string>);
  }
  return { ...(staged as Omit<ChangeEvent, 'pos'>), pos };
}
import { ident, sinkIdentifier } from '../target/view-tables';

/**
 * Transaction-granular apply: a view never shows part of a source transaction.
 *
 * The events of one source transaction share its commit LSN but are spread over partitions (and so
 * over batches and workers). With the gate on, a batch's change events are staged in a pending table
 * in the target (in the same transaction as the partition's position, so staging is exactly once),
 * and a source transaction is released into the view only when every one of its events is staged,
 * as counted by `transactionSize` (fed by the change log's transaction markers). Transactions are
 * released in commit order, up to the first incomplete one, so the view always shows a commit prefix.
 * Snapshot rows ('r') are not transactional and pass straight through.
 */
export type TransactionSizeLookup = (commitLsn: bigint) => Promise<number | undefined>;

export class TransactionGate {
  private readonly table: string;

  constructor(
    stateSchema: string,
    sink: string,
    private readonly transactionSize: TransactionSizeLookup,
  ) {
    this.table = `${ident(stateSchema)}.${ident(`${sinkIdentifier(sink)}_pending`)}`;
  }

  static passesThrough(event: ChangeEvent): boolean {
    return event.op === 'r';
  }

  createTables(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS ${this.table} (lsn numeric NOT NULL, seq integer NOT NULL, event jsonb NOT NULL, ` +
        `staged_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (lsn, seq))`,
    ];
  }

  async stage(client: ClientBase, events: ChangeEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Staged as the log's own encoding (the body is a JSON *string* inside jsonb), so json/jsonb values
    // come back as exact text: jsonb would round numbers beyond 2^53 if the event were stored parsed.
    const rows = events.map((event) => ({
      lsn: event.pos.lsn.toString(),
      seq: event.pos.seq,
      event: encodeEvent(event).fields,
    }));
    await client.query(
      `INSERT INTO ${this.table} (lsn, seq, event) ` +
        `SELECT lsn, seq, event FROM jsonb_to_recordset($1::jsonb) AS x(lsn numeric, seq integer, event jsonb) ` +
        `ON CONFLICT (lsn, seq) DO NOTHING`,
      [exactJson(rows)],
    );
  }

  /** Removes and returns the events of every complete transaction, in commit order, up to the first incomplete one. */
  async release(client: ClientBase): Promise<ChangeEvent[]> {
    const { rows } = await client.query<{ lsn: string; staged: string }>(
      `SELECT lsn::text AS lsn, count(*) AS staged FROM ${this.table} GROUP BY lsn ORDER BY lsn`,
    );
    const complete: string[] = [];
    for (const row of rows) {
      const expected = await this.transactionSize(BigInt(row.lsn));
      if (expected === undefined || Number(row.staged) < expected) break;
      complete.push(row.lsn);
    }
    if (complete.length === 0) return [];
    const released = await client.query<{ lsn: string; seq: number; event: StagedEvent }>(
      `DELETE FROM ${this.table} WHERE lsn = ANY($1::numeric[]) RETURNING lsn::text AS lsn, seq, event`,
      [complete],
    );
    return released.rows
      .map((row) => unstage(row.lsn, row.seq, row.event))
      .sort((a, b) => comparePositions(a.pos, b.pos));
  }

  async pendingCount(client: ClientBase): Promise<number> {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`);
    return Number(rows[0].n);
  }
}
