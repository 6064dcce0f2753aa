import { DistributaryError } from '@distributary/core';

export type SlotProblem = 'lost' | 'dropped' | 'publication-missing' | 'wrong-plugin';

/**
 * Replication errors that no retry can cure. A connector that retries them blindly looks alive while
 * nothing moves (the loop this module exists to end): they are recognised by SQLSTATE and PostgreSQL's
 * own wording, reported with that wording, and answered by the slot-loss policy (re-sync or stop).
 */
export class SlotUnusableError extends DistributaryError {
  constructor(
    readonly problem: SlotProblem,
    /** PostgreSQL's message, detail and hint as sent. */
    readonly pgReason: string,
    message: string,
  ) {
    super(message);
    this.name = 'SlotUnusableError';
  }
}

interface PgErrorFields {
  message?: unknown;
  code?: unknown;
  detail?: unknown;
  hint?: unknown;
}

/** PostgreSQL's full reason (message, DETAIL, HINT) of an error from node-postgres. */
export function pgReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const fields = error as Error & PgErrorFields;
  const parts = [error.message];
  if (typeof fields.detail === 'string' && fields.detail) parts.push(`DETAIL: ${fields.detail}`);
  if (typeof fields.hint === 'string' && fields.hint) parts.push(`HINT: ${fields.hint}`);
  return parts.join(' ');
}

/** The permanent problem an error from a replication session reports, or null when it may be transient. */
export function classifySlotError(error: unknown): SlotProblem | null {
  if (!(error instanceof Error)) return null;
  const { code } = error as Error & PgErrorFields;
  const text = pgReason(error);
  if (text.includes('cannot read from logical replication slot') || text.includes('has been invalidated'))
    return 'lost';
  if (text.includes('requested WAL segment') && text.includes('has already been removed')) return 'lost';
  if (code === '42704' && text.includes('replication slot') && text.includes('does not exist')) return 'dropped';
  if (code === '42704' && text.includes('publication') && text.includes('does not exist')) return 'publication-missing';
  if (text.includes('output plugin') || (text.includes('logical decoding') && text.includes('plugin')))
    return 'wrong-plugin';
  return null;
}
