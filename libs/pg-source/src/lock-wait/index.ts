export * from './own-backends';
export * from './backend-waits';
export * from './wait-watch';
export * from './wait-board';
