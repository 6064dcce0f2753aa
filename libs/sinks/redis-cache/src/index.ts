export { RedisCacheSink, createRedisCacheSink, type RedisCacheSinkDeps } from './redis-cache-sink';
export { versionOf, versionToId } from './version';
export { companionKey, hashTagOf, VALUE_VERSION_SUFFIX } from './slots';
