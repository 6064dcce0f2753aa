export * from './tokens';
export * from './positions';
export * from './visibility';
export * from './subscription-filter';
export { readInitialState, TooManyRowsError, type InitialState, type KeyedRow } from './initial-state';
export { Gateway, type GatewayOptions } from './gateway';
export { readGatewayStatuses, type GatewayStatus } from './gateway-status';
