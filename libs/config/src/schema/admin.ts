import { z } from 'zod';

export const adminRoleSchema = z.enum(['viewer', 'operator']).describe('viewer: read-only; operator: may change state');

export const adminTokenSchema = z
  .strictObject({
    token: z
      .string()
      .min(8, 'a token of at least 8 characters')
      .describe('Bearer token; keep it in ${ENV} or ${file:…}'),
    role: adminRoleSchema,
  })
  .describe('An API token and the role it grants');

/** The admin API + dashboard. Tokens may also come from env DISTRIBUTARY_ADMIN_TOKENS="viewer:t1,operator:t2". */
export const adminSchema = z
  .strictObject({
    port: z.number().int().min(1).max(65535).default(8080).describe('HTTP port of the admin API and dashboard'),
    host: z.string().min(1).default('0.0.0.0').describe('Address to listen on'),
    tokens: z
      .array(adminTokenSchema)
      .default([])
      .describe('API tokens; more come from env DISTRIBUTARY_ADMIN_TOKENS ("viewer:tok1,operator:tok2")'),
  })
  .prefault({})
  .describe('Admin API and dashboard');

export type AdminConfig = z.infer<typeof adminSchema>;
export type AdminToken = z.infer<typeof adminTokenSchema>;
export type AdminRole = z.infer<typeof adminRoleSchema>;
