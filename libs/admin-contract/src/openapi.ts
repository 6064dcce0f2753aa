import { z } from 'zod';

/** A contract schema as an OpenAPI 3.0 schema object (what the admin's /api/openapi.json publishes). */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...document } = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  });
  return document;
}
