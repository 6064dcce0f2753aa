import type { RedisClient } from '@distributary/changelog';
import { fanOutKeys } from './fan-out-store';

/** The fan-out queue of one joined Elasticsearch sink, as `distributary status` and the admin API show it. */
export interface FanOutStatus {
  /** Lookup/child keys whose roots wait for a re-index pass (coalesced: one pass each). */
  pending: number;
  /** When the running pass started (ISO); absent when no drainer holds the lock or none runs. */
  runningSince?: string;
  /** The key the running pass re-indexes the roots of: `[[columns], [values]]` as JSON. */
  running?: string;
  /** Roots re-indexed by passes of this sink so far, by every worker. */
  rootsReindexed: number;
}

/**
 * Reads a sink's fan-out state from the log's Redis (any process: CLI, admin). A pass counts as
 * running only while its drainer's lock lives, so a killed drainer's stale start time is not shown.
 */
export async function readFanOutStatus(redis: RedisClient, namespace: string, sink: string): Promise<FanOutStatus> {
  const keys = fanOutKeys(namespace, sink);
  const [pending, state, holder] = await Promise.all([
    redis.zcard(keys.dirty),
    redis.hgetall(keys.state),
    redis.get(keys.lock),
  ]);
  const since = holder && state.since ? Number(state.since) : undefined;
  return {
    pending,
    ...(since !== undefined && Number.isFinite(since)
      ? { runningSince: new Date(since).toISOString(), running: state.member }
      : {}),
    rootsReindexed: Number(state.roots ?? 0),
  };
}
