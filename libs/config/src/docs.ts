/** docs/configuration.md, generated from the zod schema so the reference never drifts from the code. */
import { z } from 'zod';
import { configSchema } from './schema/root';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  minLength?: number;
  additionalProperties?: boolean | JsonSchema;
};

interface Row {
  path: string;
  type: string;
  required: string;
  description: string;
}

const SINK_TITLES: Record<string, string> = {
  elasticsearch: 'Elasticsearch sink (`elasticsearch:`)',
  redis: 'Redis cache sink (`redis:`)',
  view: 'Materialized view sink (`view:`)',
};

export function renderConfigDocs(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const props = schema.properties ?? {};
  const out: string[] = [INTRO];
  // Every top-level section in schema order (source, log, sinks, then the others).
  for (const section of Object.keys(props)) {
    if (section === 'sinks') {
      out.push('## `sinks`', '', SINKS_TEXT, '');
      for (const branch of props.sinks?.items?.anyOf ?? []) {
        const kind = Object.keys(branch.properties ?? {}).find((key) => key in SINK_TITLES) ?? 'sink';
        out.push(`### ${SINK_TITLES[kind] ?? kind}`, '');
        if (branch.description) out.push(branch.description, '');
        out.push(table(rows(branch, 'sinks[]')));
      }
      continue;
    }
    out.push(`## \`${section}\``, '', props[section]?.description ?? '', '');
    out.push(table(rows(props[section] ?? {}, section)));
  }
  out.push(OUTRO);
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

function rows(schema: JsonSchema, path: string, required = true): Row[] {
  const result: Row[] = [];
  const objectBranches = (schema.anyOf ?? []).filter((b) => b.properties);
  if (schema.properties) {
    for (const [key, child] of Object.entries(schema.properties)) {
      const childPath = `${path}.${key}`;
      const isRequired = (schema.required ?? []).includes(key) && child.default === undefined;
      result.push({
        path: childPath,
        type: typeOf(child),
        required: requirement(child, isRequired),
        description: describe(child),
      });
      result.push(...nested(child, childPath));
    }
  } else if (objectBranches.length > 0) {
    objectBranches.forEach((branch) => result.push(...rows(branch, path, required)));
  }
  return result;
}

function nested(child: JsonSchema, path: string): Row[] {
  if (child.properties) return rows(child, path);
  if (child.items?.properties) return rows(child.items, `${path}[]`);
  const branches = (child.anyOf ?? []).filter((b) => b.properties);
  if (branches.length > 0) {
    return branches.flatMap((branch, i) =>
      rows(branch, path).map((row) => ({
        ...row,
        description: `(form ${i + 1} of ${branches.length}) ${row.description}`.trim(),
      })),
    );
  }
  return [];
}

function requirement(schema: JsonSchema, required: boolean): string {
  if (schema.default !== undefined) return `default \`${JSON.stringify(schema.default)}\``;
  return required ? 'required' : 'optional';
}

function describe(schema: JsonSchema): string {
  return (schema.description ?? schema.items?.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum) return schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    const objects = alternatives.filter((a) => a.properties);
    if (objects.length === alternatives.length) {
      return objects.map((o) => `{ ${Object.keys(o.properties ?? {}).join(', ')} }`).join(' \\| ');
    }
    return alternatives.map(typeOf).join(' \\| ');
  }
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  if (schema.type === 'object') return schema.properties ? 'mapping' : 'mapping (any keys)';
  if (schema.type === 'integer' || schema.type === 'number') {
    const bounds = [
      schema.minimum !== undefined && schema.minimum > 0 ? `≥ ${schema.minimum}` : '',
      schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER ? `≤ ${schema.maximum}` : '',
    ].filter(Boolean);
    return `${schema.type}${bounds.length ? ` ${bounds.join(', ')}` : ''}`;
  }
  if (schema.type === 'string' && schema.pattern) return `string \`${schema.pattern.replace(/\|/g, '\\|')}\``;
  return String(schema.type ?? 'any');
}

function table(list: Row[]): string {
  const lines = ['| Key | Type | Required / default | Description |', '| --- | --- | --- | --- |'];
  for (const row of list) lines.push(`| \`${row.path}\` | ${row.type} | ${row.required} | ${row.description} |`);
  return `${lines.join('\n')}\n`;
}

const INTRO = `# Configuration reference

<!-- Generated by \`npm run config:docs\` from libs/config/src/schema — do not edit by hand. -->

Distributary is configured by one YAML file with four sections: \`source\` (the PostgreSQL database and
tables), \`log\` (the change log on Redis Streams), \`sinks\` (what to keep in step) and \`admin\` (the
admin API). The CLI reads \`--config <file>\`, else env \`DISTRIBUTARY_CONFIG\`, else \`./distributary.yaml\`.
\`distributary validate\` checks a file without starting anything. Editors get completion and checks
from [config.schema.json](../config.schema.json): put
\`# yaml-language-server: $schema=<path>/config.schema.json\` on the first line.

## Values from the environment and from files

- \`\${NAME}\` — the environment variable \`NAME\`; if it is unset (or empty) loading fails, naming the
  variable and the path where it is used.
- \`\${NAME:-default}\` — \`NAME\`, or \`default\` when it is unset or empty.
- \`\${file:/run/secrets/pg-password}\` — the content of a file (one trailing newline removed); relative
  paths are relative to the configuration file. Use it for Kubernetes / Docker secrets.
- \`$\${…}\` writes a literal \`\${…}\`.
- References may appear inside a value (\`postgres://app:\${PG_PASSWORD}@db/shop\`) and inside flow
  mappings (\`{ url: \${PG_URL} }\`). An unquoted value that is exactly one reference resolving to a number
  or \`true\`/\`false\` (\`partitions: \${PARTITIONS:-8}\`) becomes a number or boolean.

Secrets never appear in output: \`validate\`, \`status\`, the admin API and every error message redact
URL passwords, tokens and values read from files or from variables named like secrets.

## Durations

Durations are \`500ms\`, \`10s\`, \`10m\`, \`24h\`, \`7d\` or a number of milliseconds.

## Table names

\`schema.table\` in lower case; a bare \`products\` means \`public.products\`. Every table a sink reads — its
\`from\`, the \`from\` of joined or looked-up tables, the tables of a view's SQL — must be listed in
\`source.tables\`.
`;

const SINKS_TEXT = `A list of sinks. Every sink has a unique \`name\` and exactly one of \`elasticsearch\`, \`redis\` or \`view\`,
which selects its kind (a sink with none or two of them is refused with a message saying so).`;

const OUTRO = `## Admin tokens from the environment

\`DISTRIBUTARY_ADMIN_TOKENS="viewer:<token>,operator:<token>"\` adds tokens to \`admin.tokens\`.

## Errors

Loading either succeeds completely or fails listing every problem; nothing starts with a bad file. Each
line names the path, the line and column, what was expected and what was found:

\`\`\`
invalid configuration in distributary.yaml:
  - sinks[1].elasticsearch.index (line 31:14): expected a lower-case index name, found "Products"
  - log.partitions (line 9:15): expected a number >= 1, found number 0
\`\`\`

## Changing the configuration

On start, \`distributary run\` compares a fingerprint of every sink (a hash of its normalised
configuration, stored in the log Redis under \`{<namespace>:meta}:sinks\`) with the current file and
prints what each sink needs: a new sink is **bootstrapped** (snapshot or compacted log), a sink whose
shape changed (tables, mapping, keys, SQL, kind) is **rebuilt**, a sink whose connection alone changed
(URL, cluster nodes) needs **nothing**, and a removed sink's derived data is **dropped**.
`;
