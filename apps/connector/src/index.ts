export * from './connector.module';
export * from './connector.service';
