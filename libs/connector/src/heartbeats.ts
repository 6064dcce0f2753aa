import type { Pool } from 'pg';
import type { Lsn } from '@distributary/core';
import type { Logger } from '@distributary/observability';
import {
  DISTRIBUTARY_MESSAGE_PREFIX,
  decodeHeartbeat,
  encodeHeartbeat,
  type LogicalMessage,
} from '@distributary/pg-protocol';
import { errorText } from './error-text';

/**
 * The leader's heartbeats: a logical message every source.postgres.heartbeat keeps the slot advancing
 * while published tables are quiet. Read back from the stream, each is remembered until its LSN is
 * confirmed; then everything committed before it was emitted is in the log (`throughTs`).
 */
export class Heartbeats {
  /** Heartbeats seen in the stream but not yet confirmed: (LSN, emission time), oldest first. */
  private pending: { lsn: Lsn; at: string }[] = [];
  private lastSeen: string | undefined;
  private through: string | undefined;

  constructor(private readonly logger: Logger) {}

  /** When a heartbeat was last read back from the stream (ISO time). */
  get lastHeartbeat(): string | undefined {
    return this.lastSeen;
  }

  /** Every change committed before this time is durably in the log (from confirmed heartbeats). */
  get throughTs(): string | undefined {
    return this.through;
  }

  /** Emits one; a failure is logged, never thrown. */
  async emit(pool: Pool): Promise<void> {
    try {
      await pool.query(`SELECT pg_logical_emit_message(false, $1, $2)`, [
        DISTRIBUTARY_MESSAGE_PREFIX,
        encodeHeartbeat(new Date()),
      ]);
    } catch (error) {
      this.logger.warn({ error: errorText(error) }, 'heartbeat failed');
    }
  }

  /** A logical message with our prefix, in stream order: a heartbeat is remembered until confirmed. */
  observe(message: LogicalMessage): void {
    const emittedAt = decodeHeartbeat(message.content.toString('utf8'));
    if (emittedAt === null) return;
    this.lastSeen = new Date().toISOString();
    this.pending.push({ lsn: message.lsn, at: emittedAt });
  }

  /** Everything before `lsn` is durable in the log. */
  confirmed(lsn: Lsn): void {
    while (this.pending.length && this.pending[0].lsn <= lsn) this.through = this.pending.shift()?.at;
  }
}
