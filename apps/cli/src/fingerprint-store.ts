/** Sink fingerprints persisted in the log Redis (keys.sinkFingerprints()), so a restart knows what changed. */
import type { LogKeys, RedisClient } from '@distributary/changelog';
import type { SinkFingerprint } from '@distributary/config';

export async function readSinkFingerprints(
  redis: RedisClient,
  keys: LogKeys,
): Promise<Record<string, SinkFingerprint>> {
  const stored = await redis.hgetall(keys.sinkFingerprints());
  return Object.fromEntries(Object.entries(stored).map(([name, json]) => [name, JSON.parse(json) as SinkFingerprint]));
}

export async function writeSinkFingerprints(
  redis: RedisClient,
  keys: LogKeys,
  fingerprints: Record<string, SinkFingerprint>,
): Promise<void> {
  const entries = Object.entries(fingerprints);
  if (entries.length === 0) return;
  await redis.hset(keys.sinkFingerprints(), Object.fromEntries(entries.map(([n, f]) => [n, JSON.stringify(f)])));
}

export async function deleteSinkFingerprints(redis: RedisClient, keys: LogKeys, names: string[]): Promise<void> {
  if (names.length) await redis.hdel(keys.sinkFingerprints(), ...names);
}
