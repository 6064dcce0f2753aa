/**
 * `npx tsx test/bench/document-writer-probe.ts [docs] [rounds]`: CPU per document of what the ES sink
 * does for each joined document of figures 3 and 4 between planning and the bulk writer: the
 * document's JSON written straight from the rows (document-json.ts) and its bulk lines and size
 * (bulk-op.ts). In this process, no server involved, so two trees can be compared in the same minutes
 * (run it in each, alternating). `DOCUMENT_ONLY=1`: the document's JSON alone. Prints the median and
 * the minimum over the rounds (this process's user + system time).
 */
import type { ChangeEvent, Row } from '@distributary/core';
import { specOf } from '../../libs/sinks/elasticsearch/test/spec-of';
import { tupleKey } from '../../libs/sinks/elasticsearch/src/plan/row-match';
import { opBodyAndBytes } from '../../libs/sinks/elasticsearch/src/write/bulk-op';
import type { RelatedRows } from '../../libs/sinks/elasticsearch/src/document/build-document';
import { CATEGORIES, CATEGORY_COUNT } from './joined-table';

// the document of joinedEsSink (joined-table.ts)
const spec = specOf({
  category_id: 'category_id',
  title: 'title',
  body: 'body',
  category: { from: CATEGORIES, on: { id: 'category_id' }, fields: ['name'] },
});
const keys = { primaryKey: (): string[] => ['id'] };

function round(rows: Row[], related: RelatedRows, documentOnly: boolean): number {
  const event = { table: 'public.products' } as ChangeEvent;
  const before = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const text = spec.json?.(rows[i], related, keys);
    if (text === undefined) throw new Error('the document is not written as JSON from the rows');
    if (documentOnly) {
      bytes += text.length;
      continue;
    }
    const id = String(rows[i].id);
    bytes += opBodyAndBytes({ action: 'index', index: 'probe_v1', id, version: 1e10 + i, source: text, event }).bytes;
  }
  const used = process.cpuUsage(before);
  if (bytes === 0) throw new Error('nothing written');
  return (used.user + used.system) / rows.length;
}

function main(): void {
  const docs = Number(process.argv[2] ?? 100_000);
  const rounds = Number(process.argv[3] ?? 7);
  const categories = new Map<string, Row[]>();
  for (let c = 1; c <= CATEGORY_COUNT; c++)
    categories.set(tupleKey({ id: c }, ['id']) ?? '', [{ id: c, name: `category ${c}` }]);
  const related: RelatedRows = new Map([['category', categories]]);
  const rows: Row[] = [];
  for (let id = 1; id <= docs; id++)
    rows.push({
      id,
      category_id: 1 + (id % CATEGORY_COUNT),
      title: `title ${id}`,
      body: `${id}`.padEnd(240, 'abcdef0123456789'),
    });
  const costs: number[] = [];
  for (let r = 0; r < rounds; r++) costs.push(round(rows, related, process.env.DOCUMENT_ONLY === '1'));
  const sorted = [...costs].sort((a, b) => a - b);
  process.stdout.write(
    `µs/doc median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)}, min ${sorted[0].toFixed(2)} (${costs.map((c) => c.toFixed(2)).join(', ')})\n`,
  );
}

main();
