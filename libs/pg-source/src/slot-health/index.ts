export * from './slot-health';
export * from './slot-errors';
export * from './health-state';
export * from './source-lag';
export * from './reconcile-log';
export * from './slot-recovery';
export * from './slot-metrics';
export * from './schema-watch';
