export * from './sink-runner';
export * from './partition-task';
export * from './retry';
export * from './abortable';
export * from './metrics';
export * from './worker-options';
export * from './create-sink';
export * from './rebuild-on-open';
