import { z } from 'zod';

export const adminRoleSchema = z.enum(['viewer', 'operator']).describe('viewer: read-only; operator: may change state');

export const adminTokenSchema = z
  .strictObject({
    token: z
      .string()
      .min(8, 'a token of at least 8 characters')
      .describe('Bearer token; keep it in ${ENV} or ${file:…}'),
    role: adminRoleSchema,
    name: z
      .string()
      .regex(/^[A-Za-z0-9._@-]{1,64}$/, 'letters, digits, ".", "_", "@" or "-" (at most 64)')
      .optional()
      .describe('Who holds the token, as shown in the audit log (default: "<role>#<position>")'),
  })
  .describe('An API token and the role it grants');

/** The admin API + dashboard. Tokens may also come from env DISTRIBUTARY_ADMIN_TOKENS="viewer:t1,operator:t2". */
export const adminSchema = z
  .strictObject({
    port: z.number().int().min(1).max(65535).default(8080).describe('HTTP port of the admin API and dashboard'),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address to listen on; 127.0.0.1 unless set (containers: 0.0.0.0 behind a Service or port mapping)'),
    tokens: z
      .array(adminTokenSchema)
      .default([])
      .describe('API tokens; more come from env DISTRIBUTARY_ADMIN_TOKENS ("viewer:tok1,operator:tok2")'),
    audit: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Record every state-changing request (who, what, when, outcome)'),
        maxEntries: z
          .number()
          .int()
          .min(100)
          .max(1_000_000)
          .default(10_000)
          .describe('Entries kept (a capped stream in the log Redis; the oldest are trimmed)'),
      })
      .prefault({})
      .describe('Audit log of operator actions, readable at GET /api/audit and in the dashboard'),
  })
  .prefault({})
  .describe('Admin API and dashboard');

export type AdminConfig = z.infer<typeof adminSchema>;
export type AdminToken = z.infer<typeof adminTokenSchema>;
export type AdminRole = z.infer<typeof adminRoleSchema>;
