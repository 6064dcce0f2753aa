export { ElasticsearchSink, createElasticsearchSink } from './elasticsearch-sink';
export type { ElasticsearchSinkDeps, RebuildResult } from './elasticsearch-sink';
export { REFS_FIELD } from './document/build-document';
export { configFingerprint } from './target/index-body';
export { versionOf } from './version';
export { fanOutKeys } from './fan-out/fan-out-store';
export { readFanOutStatus, type FanOutStatus } from './fan-out/fan-out-status';
export { MappingRefusedError } from './target/open-checks';
export type { MappingConflict } from './target/mapping-check';
// For verification (libs/verify): the sink's own document building, reused to compute expected documents.
export { buildDocument, type Document, type RelatedRows } from './document/build-document';
export { compileDocumentSpec, type DocumentSpec } from './document/document-spec';
export { readRelated } from './plan/joined-plan';
