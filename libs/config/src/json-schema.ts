/**
 * The configuration's JSON Schema (for editors through yaml-language-server), generated from the zod
 * schema. Any scalar may also be written as a `${VAR}` / `${VAR:-default}` / `${file:…}` reference,
 * which the loader resolves before validation, so the schema accepts those strings everywhere.
 */
import { z } from 'zod';
import { configSchema } from './schema/root';

type JsonSchema = Record<string, unknown>;

const REFERENCE: JsonSchema = {
  type: 'string',
  pattern: '\\$\\{[^}]+\\}',
  description: 'A ${VAR}, ${VAR:-default} or ${file:/path} reference, resolved when the file is loaded',
};
const ANNOTATIONS = ['description', 'default', 'title'];

export function configJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const { $schema, $defs, ...body } = allowReferences(generated) as JsonSchema;
  return {
    $schema,
    $id: 'https://github.com/distributary/distributary/config.schema.json',
    title: 'Distributary configuration',
    description:
      'One YAML file: source, log, sinks and admin. Any value may use ${VAR}, ${VAR:-default} or ${file:/path}.',
    ...body,
    $defs: { ...($defs as JsonSchema | undefined), reference: REFERENCE },
  };
}

function allowReferences(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowReferences);
  if (!node || typeof node !== 'object') return node;
  const schema = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, allowReferences(v)])) as JsonSchema;
  const type = schema.type;
  const constrainedScalar =
    type === 'integer' ||
    type === 'number' ||
    type === 'boolean' ||
    (type === 'string' && ('pattern' in schema || 'enum' in schema || 'const' in schema || 'format' in schema));
  if (!constrainedScalar) return schema;
  const outer: JsonSchema = {};
  const inner: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) (ANNOTATIONS.includes(key) ? outer : inner)[key] = value;
  return { ...outer, anyOf: [inner, { $ref: '#/$defs/reference' }] };
}
