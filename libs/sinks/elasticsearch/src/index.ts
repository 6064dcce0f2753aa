export { ElasticsearchSink, createElasticsearchSink } from './elasticsearch-sink';
export type { ElasticsearchSinkDeps, RebuildResult } from './elasticsearch-sink';
export { REFS_FIELD } from './document/build-document';
export { configFingerprint } from './index/index-body';
export { versionOf } from './version';
