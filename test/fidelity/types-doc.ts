/**
 * Generates docs/types.md from the type contract table (libs/postgres/decode/src/types/type-contract.ts),
 * with every example value converted by the real code: PostgreSQL's `col::text`, the TypeResolver
 * and convertValue of the connector, the log codec, exactJson (Elasticsearch, Redis JSON) and the
 * Redis hash renderer. `UPDATE_TYPES_DOC=1 npx vitest run test/fidelity/type-contract.test.ts`
 * rewrites the file.
 */
import type { Pool } from 'pg';
import { resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { exactJson, type ColumnValue } from '@distributary/core';
import { TypeResolver } from '@distributary/pg-catalog';
import { TYPE_CONTRACT, convertValue } from '@distributary/pg-decode';
import { ValueRenderer } from '@distributary/sink-redis-cache';

export const DOC_PATH = resolve(__dirname, '../../docs/types.md');

const HEAD = `# Type contract

What every PostgreSQL value becomes in the change log, and so in every sink. The rule: **no value is
rounded, dropped or changed in meaning**, and every row of a column has the same representation. This
file is generated from \`libs/postgres/decode/src/types/type-contract.ts\` with real values (each example
below is PostgreSQL's text output of the value, as the connector receives it, converted by the connector's own code); a test fails when
it is out of date or when PostgreSQL has a built-in type that no row names. The fidelity suite
(\`test/fidelity/\`) streams a table with a column of every kind through the real pipeline and compares
every sink with PostgreSQL's text output (\`col::text\`, except that char(n) keeps its padding) through
this contract.

## In the change log

`;

const SINKS = `
## In the sinks

- **One serializer.** Sinks write rows and documents with \`exactJson\` (\`@distributary/core\`): every
  json/jsonb value (a \`JsonText\`, PostgreSQL's exact text) is embedded verbatim, everything else is
  written as \`JSON.stringify\` writes it. In the log's entry, json/jsonb values are JSON strings holding the
  text, and field \`j\` lists their columns.
- **Elasticsearch.** \`_source\` holds the values above exactly (a json/jsonb column as an object, with
  its numbers as written). Indexing depends on the mapping: numbers that are strings (int8, numeric,
  floats) are coerced by numeric field types, and a field typed by dynamic mapping from earlier documents
  may be unable to hold a later legal value (a jsonb number beyond 2^63, NaN in a \`double\`, 'infinity'
  in a \`date\`). Such a document is dead-lettered with an explanation naming the column, the value and a
  mapping that holds it (\`flattened\` or \`object\` with \`enabled: false\` for json/jsonb, \`keyword\` for
  the others); after the mapping is changed the index is rebuilt and the dead letters can be replayed.
  Give explicit \`mappings\` for columns whose every value must be searchable. An **explicit** mapping
  is checked when the sink opens: a field copied from a column (or cast with \`$number(col)\`) whose
  mapping would refuse one of the column's legal values above (int8 in an \`integer\`, NaN in a
  \`double\`, 'infinity' in a \`date\`, a jsonb object in a \`keyword\`) makes the sink refuse to open,
  naming the field, the column type, the value and a mapping that holds it (\`keyword\`,
  \`flattened\`, or the same type with \`ignore_malformed: true\`); see the sink's README.
  Column names are field names as they are — \`__proto__\` included, an ordinary key in every sink (see
  libs/core/src/proto-key.ts). A column named like a metadata field (\`_id\`, \`_source\`…),
  of only whitespace, or whose dotted name overlaps another column (\`a\` and \`a.b\`: a dot is an object
  path to Elasticsearch) makes Elasticsearch refuse the row; the dead letter names the column and says to
  give it another field name through the sink's \`document\` mapping. An \`_id\` longer than 512 bytes
  or empty (a key Elasticsearch cannot hold) is dead-lettered with Elasticsearch's reason.
- **Redis cache, \`format: json\`.** The row as one JSON document written by \`exactJson\`. As in
  PostgreSQL's own \`to_jsonb(row)\`, a json/jsonb column holding JSON \`null\` and one that is SQL NULL
  both appear as \`null\` there; use \`format: hash\` where the two must be told apart.
- **Redis cache, \`format: hash\`.** One field per column: strings as they are, numbers and booleans as
  text, json/jsonb as their exact JSON text (JSON null is the field \`null\`; a JSON string keeps its
  quotes), arrays as JSON; SQL NULL columns have no field.
- **Expressions** (JSONata filters and fields) see json/jsonb columns parsed, with numbers as doubles:
  an expression that copies a number beyond 2^53 rounds it — name the column itself to keep it exact.
  int8, numeric and floats are strings there: compare them through \`$number(x)\`.
- **Materialized views** are computed by PostgreSQL from mirrored rows, so their values are
  PostgreSQL's own (see the materialized-view sink). Mirrored values are turned back into PostgreSQL's
  input form first (BC and long-year dates and timestamps, base64 bytea), so any type that can be
  grouped works as a group column; numeric group values are shown scale-trimmed (\`1.50\` → \`1.5\`).
- **Generated columns** (\`GENERATED ALWAYS AS … STORED\`) are not in the log: PostgreSQL's logical
  replication does not send them (before PostgreSQL 18, and on 18 unless the publication sets
  \`publish_generated_columns\`), so snapshots leave them out too and no sink has them — compute them in
  the sink (an Elasticsearch \`document\` expression) where they are needed. \`verify\` leaves them out.
- **Schema changes** (\`ADD COLUMN … DEFAULT\`, \`ALTER COLUMN … TYPE\`, \`DROP COLUMN\`) re-snapshot the
  table (\`source.onSchemaChange: resync\`), so old rows reach every sink in the new shape: new fields
  with their default, retyped values in the new type's representation, dropped fields removed. A
  view whose read columns change type rebuilds itself from the compacted log in the new shape
  (staging table, swapped) and applies on.
- The fidelity suite (\`test/fidelity/\`) checks all of this against PostgreSQL's text for a table
  with a column of every built-in type and a wider sweep (\`sweep-table.ts\`: extension types, domains
  over json and timestamptz, nested composites, arrays of every kind, odd enum labels, quoted names,
  huge and edge-case values), through every sink kind, streaming and re-snapshot, with verify clean.
`;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(text: string): string {
  const ticks = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${cell(text)}${pad}${ticks}`;
}

function hashField(value: ColumnValue): string {
  const rendered = new ValueRenderer({ format: 'hash' }).render({ v: value });
  return rendered.format === 'hash' && rendered.pairs.length === 2 ? code(rendered.pairs[1]) : '(no field)';
}

export async function renderTypesDoc(pool: Pool): Promise<string> {
  const resolver = new TypeResolver(pool);
  let out = HEAD;
  for (const row of TYPE_CONTRACT)
    out += `- **${row.title}**${row.types.length ? ` (${row.types.map((t) => code(t)).join(', ')})` : ''}: ${row.log}.\n`;
  out += `\n## Examples\n\n| SQL value | PostgreSQL's text | in the log (\`e\`) | Elasticsearch \`_source\`, Redis JSON | Redis hash field |\n`;
  out += `| --------- | ---------------------- | ----------------- | ---------------------------------- | ---------------- |\n`;
  for (const row of TYPE_CONTRACT)
    for (const example of row.examples) {
      const { rows } = await pool.query<{ text: string; oid: string }>(
        `SELECT ${example} AS text, pg_typeof(${example})::oid AS oid`,
      );
      const [{ text, oid }] = rows;
      const value = convertValue(text, await resolver.resolve(Number(oid)));
      out += `| ${code(example)} | ${code(text)} | ${code(JSON.stringify(value))} | ${code(exactJson(value))} | ${hashField(value)} |\n`;
    }
  out += `| SQL NULL | NULL | \`null\` | \`null\` | (no field) |\n`;
  out += SINKS;
  return format(out, { ...(await resolveConfig(DOC_PATH)), filepath: DOC_PATH });
}
