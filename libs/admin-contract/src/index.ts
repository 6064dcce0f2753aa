/**
 * The admin API's contract: zod schemas are the one definition of what it answers. The admin derives
 * its types and its OpenAPI document from them; the dashboard imports the types (type-only).
 */
export * from './source';
export * from './sinks';
export * from './dead-letters';
export * from './metrics';
export * from './jobs';
export * from './peers';
export * from './verify';
export * from './overview';
export * from './audit';
export { openApiSchema } from './openapi';
