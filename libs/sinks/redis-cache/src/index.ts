export { RedisCacheSink, createRedisCacheSink, type RedisCacheSinkDeps } from './redis-cache-sink';
export { versionOf, versionToId } from './version';
export { companionKey, hashTagOf, isCompanionKey, COMPANION_MARK, VALUE_VERSION_SUFFIX } from './slots';
// For verification and repair (libs/verify): the sink's own rendering and version-guarded writes.
export { CacheModel, type CachedRow } from './cache-model';
export { ValueRenderer, type CachedValue } from './cached-value';
export type { Membership } from './query-cache';
export { CacheWriter } from './cache-writer';
export { scanKeys } from './scan-keys';
export { groupKeys, GROUP_VERSIONS_SUFFIX, GROUP_TOMBSTONES_SUFFIX } from './slots';
