export * from './canonical-json';
export * from './bucket-digest';
export * from './compare';
export * from './sink-progress';
