export * from './hash-record';
export * from './snapshot-requests';
export * from './snapshot-jobs';
export * from './snapshot-coordinator';
export * from './initial-snapshot-state';
export * from './dead-letter-resync';
export * from './slot-health-state';
