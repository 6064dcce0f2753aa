export * from './stack';
export * from './names';
export * from './database';
export * from './wait';
export * from './tcp-proxy';
export * from './namespace';
export * from './ports';
export * from './ghost-standby';
