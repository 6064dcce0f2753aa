export * from './schema/common';
export * from './schema/source';
export * from './schema/log';
export * from './schema/sinks/elasticsearch';
export * from './schema/sinks/redis-cache';
export * from './schema/sinks/materialized-view';
export * from './schema/root';
