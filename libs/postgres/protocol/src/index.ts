export * from './pgoutput-messages';
export * from './pgoutput-parser';
export * from './logical-messages';
