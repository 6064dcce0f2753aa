import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { z } from 'zod';
import {
  auditPageSchema as auditPage,
  compactionStatusSchema,
  deadLetterPageSchema as deadLetterPage,
  errorSchema as errorBody,
  gatewayStatusSchema,
  metricsSampleSchema as metricsSample,
  openApiSchema,
  overviewSchema as overview,
  partitionSummarySchema,
  roleSchema,
  sinkStateSchema,
  snapshotJobSchema,
  sourceStatusSchema,
  verifyResultSchema,
  workerStatusSchema,
} from '@distributary/admin-contract';
import { idsBody, replayBody, snapshotStartBody } from './body';

/** The OpenAPI schemas of the admin API, derived from its contract (libs/admin-contract) and from the
 *  request bodies' zod schemas (body.ts): one definition each, none written by hand. */
function schema(zod: z.ZodType): SchemaObject {
  return openApiSchema(zod) as SchemaObject;
}

function list(zod: z.ZodType): SchemaObject {
  return { type: 'array', items: schema(zod) };
}

export const sourceSchema = schema(sourceStatusSchema);
export const partitionsSchema = list(partitionSummarySchema);
export const sinkSchema = schema(sinkStateSchema);
export const sinksSchema = list(sinkStateSchema);
export const workersSchema = list(workerStatusSchema);
export const gatewaysSchema = list(gatewayStatusSchema);
export const overviewSchema = schema(overview);
export const deadLetterPageSchema = schema(deadLetterPage);
export const metricsHistorySchema = list(metricsSample);
export const compactionSchema = schema(compactionStatusSchema);
export const snapshotsSchema = list(snapshotJobSchema);
export const verifyResultsSchema = list(verifyResultSchema);
export const sessionSchema: SchemaObject = { type: 'object', properties: { role: schema(roleSchema) } };
export const idsBodySchema = schema(idsBody);
export const replayBodySchema = schema(replayBody);
export const snapshotStartSchema = schema(snapshotStartBody);
export const errorSchema = schema(errorBody);
export const auditPageSchema = schema(auditPage);
