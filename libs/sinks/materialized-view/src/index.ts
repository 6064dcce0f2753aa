export {
  createMaterializedViewSink,
  MaterializedViewSink,
  type MaterializedViewSinkDeps,
  type RebuildOptions,
  type RebuildResult,
} from './materialized-view-sink';
export {
  parseViewSql,
  parseViewSqlSync,
  loadViewSqlParser,
  ViewSqlError,
  type ViewDefinition,
  type Aggregate,
  type AggregateFn,
  type ColumnRef,
  type GroupColumn,
  type OutputColumn,
  type Predicate,
  type Literal,
} from './parse/view-sql';
export { viewMetrics } from './metrics';
export { viewStateKey, parseOwner, type ViewOwner } from './target/view-ownership';
