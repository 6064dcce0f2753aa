export * from './keys';
export * from './redis-connection';
