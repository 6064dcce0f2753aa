import { formatLsn, idToPosition, parseLsn, type Lsn } from '@distributary/core';
import type { SlotHealth } from './slot-health';

export interface SinkPartitionPosition {
  /** Committed entry ID of the sink in this partition (null: nothing applied yet). */
  committedId: string | null;
  /** Entries after it. */
  unapplied: number;
  /** Age of the oldest unapplied entry, seconds (null if unknown). */
  oldestUnappliedSeconds: number | null;
}

export interface SourceLagInput {
  sourceLsn: string;
  /** Connector status hash: confirmedLsn, throughTs, updatedAt. */
  connectorConfirmedLsn?: string | null;
  throughTs?: string | null;
  connectorUpdatedAt?: string | null;
  slot?: Pick<SlotHealth, 'state' | 'active' | 'exists'> | null;
  partitions: SinkPartitionPosition[];
  /** source.postgres.heartbeat + source.connector.statusEvery, ms. */
  resolutionMs: number;
  now?: number;
}

export interface SourceLag {
  /** LSN text through which the sink has applied everything. */
  appliedLsn: string;
  sourceLsn: string;
  bytes: string;
  seconds: number | null;
  caughtUp: boolean;
  /** Why it is not caught up (for displays). */
  why?: string;
}

/**
 * A sink's lag measured against the SOURCE (pg_current_wal_lsn()), not against what the connector
 * confirmed or appended — the one definition the CLI status, the admin API/dashboard and the metrics
 * share, so they cannot disagree.
 *
 * - applied-through LSN: the connector's confirmed LSN (everything before it is in the log), lowered
 *   to the committed position of every partition where the sink still has unapplied entries.
 * - bytes = pg_current_wal_lsn() − applied-through (WAL of other databases counts too: PostgreSQL
 *   cannot tell which WAL touches the published tables without decoding it).
 * - seconds = the larger of the age of the oldest unapplied log entry and the connector's own delay
 *   (now − the newest time through which the connector has logged every commit: confirmed heartbeats).
 * - caughtUp (the only case any surface may show "lag 0"): the slot is usable and actively streamed,
 *   the sink has no unapplied entry, and the connector's delay is within one heartbeat interval plus
 *   one status period (the resolution of the heartbeat clock).
 */
export function sourceLag(input: SourceLagInput): SourceLag {
  const now = input.now ?? Date.now();
  const source = parseLsn(input.sourceLsn);
  let applied: Lsn = input.connectorConfirmedLsn ? parseLsn(input.connectorConfirmedLsn) : 0n;
  let logSeconds = 0;
  let unapplied = 0;
  for (const p of input.partitions) {
    if (p.unapplied <= 0) continue;
    unapplied += p.unapplied;
    const committed = p.committedId ? idToPosition(p.committedId).lsn : 0n;
    if (committed < applied) applied = committed;
    if (p.oldestUnappliedSeconds !== null) logSeconds = Math.max(logSeconds, p.oldestUnappliedSeconds);
  }
  const bytes = source > applied ? source - applied : 0n;
  const through = input.throughTs ? Date.parse(input.throughTs) : NaN;
  const connectorSeconds = Number.isFinite(through) ? Math.max(0, (now - through) / 1000) : null;
  const updated = input.connectorUpdatedAt ? Date.parse(input.connectorUpdatedAt) : NaN;
  let why: string | undefined;
  if (!input.slot?.exists) why = 'the replication slot does not exist';
  else if (input.slot.state === 'lost') why = 'the replication slot is lost';
  else if (!input.slot.active) why = 'nothing is reading the replication slot';
  else if (!Number.isFinite(updated) || now - updated > 3 * input.resolutionMs) why = 'the connector status is stale';
  else if (unapplied > 0) why = `${unapplied} log entries not applied yet`;
  else if (connectorSeconds === null) why = 'no heartbeat confirmed yet';
  else if (connectorSeconds * 1000 > input.resolutionMs) why = 'the connector is behind the source';
  const seconds =
    connectorSeconds === null ? (unapplied > 0 ? logSeconds : null) : Math.max(logSeconds, connectorSeconds);
  const caughtUp = why === undefined;
  return {
    appliedLsn: formatLsn(applied),
    sourceLsn: input.sourceLsn,
    bytes: bytes.toString(),
    seconds: caughtUp ? 0 : seconds,
    caughtUp,
    why,
  };
}
