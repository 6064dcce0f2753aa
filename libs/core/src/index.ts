export * from './lsn';
export * from './position';
export * from './event';
export * from './codec';
export * from './partition';
export * from './errors';
export * from './backoff';
export * from './sink';
