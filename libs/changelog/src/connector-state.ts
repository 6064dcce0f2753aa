import type { LogKeys } from './keys';
import type { RedisClient } from './redis-connection';

/** The small status hash the CLI `status` and the admin API read (keys.connectorState()). */
export interface ConnectorState {
  slot?: string;
  leader?: string;
  fencingToken?: string;
  /** LSN text, e.g. '0/16B3748'. */
  confirmedLsn?: string;
  lastHeartbeat?: string;
  updatedAt?: string;
  retainedWalBytes?: string;
  /** What the connector waits for outside its control (e.g. slot creation waiting for old transactions),
   *  with the oldest blockers; '' when it waits for nothing. */
  waitingFor?: string;
  /** ISO time that wait began ('' when none). */
  waitingSince?: string;
}

export async function writeConnectorState(redis: RedisClient, keys: LogKeys, state: ConnectorState): Promise<void> {
  const fields = Object.entries({ ...state, updatedAt: new Date().toISOString() }).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  if (fields.length) await redis.hset(keys.connectorState(), Object.fromEntries(fields));
}

export async function readConnectorState(redis: RedisClient, keys: LogKeys): Promise<ConnectorState> {
  return (await redis.hgetall(keys.connectorState())) as ConnectorState;
}
