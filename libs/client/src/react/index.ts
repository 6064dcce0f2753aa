export { useLiveQuery, type LiveQueryOptions, type LiveQueryResult } from './use-live-query';
