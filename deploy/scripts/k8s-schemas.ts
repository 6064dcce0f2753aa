/**
 * Prepares the JSON schemas kubeconform validates the rendered chart against (run by
 * scripts/setup.d/k8s-tools.sh):
 *
 *   kubernetes <src> <dest>  kubernetes-validate's `vX.Y.Z-local-strict` schemas, made standalone: their
 *                            `$ref`s point into a shared `/api/_definitions.json` under an https `$id`;
 *                            each kind gets the definitions it uses inlined, refs made local. Strictness
 *                            (additionalProperties: false) is kept as it is.
 *   crd <crd.yaml> <dest>    a CustomResourceDefinition's openAPIV3Schema per version, as a strict JSON
 *                            schema at <dest>/<group>/<kind>_<version>.json (kubeconform's CRD layout):
 *                            every object that declares properties refuses unknown ones, unless the
 *                            CRD says x-kubernetes-preserve-unknown-fields.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DEFINITIONS = '_definitions.json';
const REF_PREFIX = '"/api/_definitions.json#/$defs/';

/**
 * Each kind's schema made standalone: the definitions it reaches (transitively) are copied into its own
 * `$defs` and its refs made local, so kubeconform compiles a few hundred kB per kind, not the whole API.
 */
export function prepareKubernetesSchemas(sourceDir: string, destDir: string): number {
  mkdirSync(destDir, { recursive: true });
  const local = (text: string): string => text.split(REF_PREFIX).join('"#/$defs/');
  const definitions = JSON.parse(local(readFileSync(join(sourceDir, DEFINITIONS), 'utf8'))) as { $defs: JsonObject };
  const refsIn = (schema: Json): string[] =>
    [...JSON.stringify(schema).matchAll(/"#\/\$defs\/([^"]+)"/g)].map((match) => match[1]);
  const refsOfDefinition = new Map<string, string[]>();
  const reachable = (schema: Json): JsonObject => {
    const found: JsonObject = {};
    const pending = refsIn(schema);
    for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
      if (name in found) continue;
      const definition = definitions.$defs[name];
      if (definition === undefined) throw new Error(`${sourceDir}: no definition ${name}`);
      found[name] = definition;
      if (!refsOfDefinition.has(name)) refsOfDefinition.set(name, refsIn(definition));
      pending.push(...(refsOfDefinition.get(name) ?? []));
    }
    return found;
  };
  let count = 0;
  for (const file of readdirSync(sourceDir)) {
    if (!file.endsWith('.json') || file === DEFINITIONS) continue;
    const schema = JSON.parse(local(readFileSync(join(sourceDir, file), 'utf8'))) as JsonObject;
    delete schema.$id;
    const defs = reachable(schema);
    if (Object.keys(defs).length > 0) schema.$defs = defs;
    writeFileSync(join(destDir, file), JSON.stringify(schema));
    count++;
  }
  if (count === 0) throw new Error(`no schemas in ${sourceDir}`);
  return count;
}

/** One node of an OpenAPI v3 structural schema, rewritten as a strict JSON schema. */
export function strictSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(strictSchema);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    // Maps of sub-schemas keep their keys (property names), everything else is walked as schemas.
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, strictSchema(sub)]));
    } else if (key === 'enum' || key === 'required' || key === 'default' || key === 'example') {
      out[key] = value;
    } else {
      out[key] = strictSchema(value);
    }
  }
  if (out['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  const preserveUnknown = out['x-kubernetes-preserve-unknown-fields'] === true;
  if (out.type === 'object' && isObject(out.properties) && !preserveUnknown && !('additionalProperties' in out)) {
    out.additionalProperties = false;
  }
  return out;
}

export interface CrdSchemaFile {
  path: string;
  kind: string;
  apiVersion: string;
}

export function crdToJsonSchemas(crdFile: string, destDir: string): CrdSchemaFile[] {
  const written: CrdSchemaFile[] = [];
  for (const document of parseAllDocuments(readFileSync(crdFile, 'utf8'))) {
    const crd = document.toJS() as Json;
    if (!isObject(crd) || crd.kind !== 'CustomResourceDefinition' || !isObject(crd.spec)) continue;
    const { group, names, versions } = crd.spec;
    if (typeof group !== 'string' || !isObject(names) || typeof names.kind !== 'string' || !Array.isArray(versions)) {
      throw new Error(`${crdFile}: not a CustomResourceDefinition with group, names.kind and versions`);
    }
    for (const version of versions) {
      if (!isObject(version) || typeof version.name !== 'string' || !isObject(version.schema)) continue;
      const schema = strictSchema(version.schema.openAPIV3Schema ?? null);
      if (!isObject(schema) || !isObject(schema.properties))
        throw new Error(`${crdFile}: ${version.name} has no schema`);
      const apiVersion = `${group}/${version.name}`;
      // apiVersion and kind are free strings in a CRD's schema; pin them like the core schemas do.
      schema.properties.apiVersion = { type: 'string', enum: [apiVersion] };
      schema.properties.kind = { type: 'string', enum: [names.kind] };
      schema.required = ['apiVersion', 'kind', ...(Array.isArray(schema.required) ? schema.required : [])];
      const dir = join(destDir, group);
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${names.kind.toLowerCase()}_${version.name}.json`);
      writeFileSync(path, JSON.stringify(schema));
      written.push({ path, kind: names.kind, apiVersion });
    }
  }
  if (written.length === 0) throw new Error(`${crdFile}: no CustomResourceDefinition versions found`);
  return written;
}

function main(argv: string[]): void {
  const [mode, source, dest] = argv;
  if (mode === 'kubernetes' && source && dest) {
    console.log(`[setup] ${prepareKubernetesSchemas(source, dest)} Kubernetes schemas in ${dest}`);
  } else if (mode === 'crd' && source && dest) {
    for (const file of crdToJsonSchemas(source, dest))
      console.log(`[setup] ${file.apiVersion} ${file.kind}: ${file.path}`);
  } else {
    console.error('usage: k8s-schemas.ts kubernetes <schema dir> <dest dir> | crd <crd.yaml> <dest dir>');
    process.exit(2);
  }
}

if (require.main === module) main(process.argv.slice(2));
