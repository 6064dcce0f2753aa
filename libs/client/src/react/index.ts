export { liveQueryHook, useLiveQuery, type LiveQueryOptions, type LiveQueryResult } from './use-live-query';
