import type { LogicalMessage } from './pgoutput-messages';

// Distributary's own logical messages (pg_logical_emit_message, non-transactional), read back from
// the stream in WAL order. One prefix, two kinds:
// - heartbeat: `heartbeat <ISO time of emission>`, emitted by the leader every source.postgres.heartbeat
//   so the slot advances while published tables are quiet; once confirmed, everything committed
//   before the emission time is in the log (the "through" time of `distributary status`).
// - snapshot watermark: JSON `{"type":"snapshot-watermark",snapshot,chunk,mark,attempt}`, the low and high
//   marks around one incremental-snapshot chunk read (see WatermarkWindow in pg-snapshot).

/** The logical-message prefix of every message Distributary emits; other prefixes are not ours. */
export const DISTRIBUTARY_MESSAGE_PREFIX = 'distributary';

const HEARTBEAT = 'heartbeat ';

/** A snapshot watermark: the low or high mark around the read of one incremental-snapshot chunk. */
export interface WatermarkMessage {
  type: 'snapshot-watermark';
  snapshot: string;
  chunk: number;
  mark: 'low' | 'high';
  /** Unique per read of the chunk: a killed connector's marks of the same chunk, replayed from the
   *  WAL after a restart, never match the new read's window (absent in marks of older versions). */
  attempt?: string;
}

/** One of our logical messages, decoded; `lsn` is where the stream carried it. */
export type DistributaryMessage =
  | { kind: 'heartbeat'; lsn: bigint; emittedAt: string }
  | { kind: 'watermark'; lsn: bigint; watermark: WatermarkMessage };

/** A heartbeat's content: its emission time. */
export function encodeHeartbeat(emittedAt: Date): string {
  return `${HEARTBEAT}${emittedAt.toISOString()}`;
}

/** The emission time of a heartbeat's content, or null when the content is not a heartbeat. */
export function decodeHeartbeat(content: string): string | null {
  return content.startsWith(HEARTBEAT) ? content.slice(HEARTBEAT.length) : null;
}

export function encodeWatermark(message: Omit<WatermarkMessage, 'type'>): string {
  return JSON.stringify({ type: 'snapshot-watermark', ...message });
}

/** The watermark in a message's content, or null when the content is not a watermark. */
export function decodeWatermark(content: string): WatermarkMessage | null {
  try {
    const parsed = JSON.parse(content) as Partial<WatermarkMessage>;
    return parsed.type === 'snapshot-watermark' ? (parsed as WatermarkMessage) : null;
  } catch {
    return null;
  }
}

/** Reads one of our logical messages; null for another prefix or a content we do not know. */
export function decodeDistributaryMessage(message: LogicalMessage): DistributaryMessage | null {
  if (message.prefix !== DISTRIBUTARY_MESSAGE_PREFIX) return null;
  const content = message.content.toString('utf8');
  const emittedAt = decodeHeartbeat(content);
  if (emittedAt !== null) return { kind: 'heartbeat', lsn: message.lsn, emittedAt };
  const watermark = decodeWatermark(content);
  return watermark ? { kind: 'watermark', lsn: message.lsn, watermark } : null;
}
