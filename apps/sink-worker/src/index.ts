export * from './sink-worker.module';
