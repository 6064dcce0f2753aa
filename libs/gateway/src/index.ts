export * from './tokens';
export * from './positions';
export * from './visibility';
export * from './subscription-filter';
export { readInitialState, TooManyRowsError, type InitialState, type KeyedRow } from './initial-state';
export { Gateway, type GatewayOptions } from './gateway';
export { readGatewayStatuses, type GatewayStatus } from './gateway-status';
export { rowComparator, OrderError, ORDERABLE_TYPES, type OrderTerm, type RowComparator } from './row-order';
export { TopNWindow, MAX_WINDOW_ROWS } from './top-n';
