export { RedisCacheSink, createRedisCacheSink, type RedisCacheSinkDeps } from './redis-cache-sink';
export { versionOf, versionToId } from './version';
export { companionKey, hashTagOf, isCompanionKey, COMPANION_MARK, VALUE_VERSION_SUFFIX } from './target/slots';
// For verification and repair (libs/verify): the sink's own rendering and version-guarded writes.
export { CacheModel, type CachedRow } from './plan/cache-model';
export { ValueRenderer, type CachedValue } from './plan/cached-value';
export type { Membership } from './plan/query-cache';
export { CacheWriter } from './write/cache-writer';
export { scanKeys } from './target/scan-keys';
export { groupKeys, GROUP_VERSIONS_SUFFIX, GROUP_TOMBSTONES_SUFFIX } from './target/slots';
