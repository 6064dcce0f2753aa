export * from './redact';
export { registerSecrets, registeredSecrets, clearRegisteredSecrets, registeredSecretCount } from './secret-registry';
export { redactSecretParams, redactUserInfo } from './redact-text';
export * from './logger';
export * from './metrics';
export * from './health';
export * from './retry-log';
export * from './process-group';
export * from './metrics-server';
