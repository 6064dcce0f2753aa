export * from './types/value-kind';
export * from './types/array-literal';
export * from './types/convert';
export * from './types/type-contract';
export * from './type-lookup';
export * from './change-decoder';
export * from './toast-fill';
