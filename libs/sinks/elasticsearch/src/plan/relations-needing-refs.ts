import type { DocumentSpec, Relation } from '../document/document-spec';

/**
 * The relations whose changes may need the refs field (REFS_FIELD) to find the documents that held a
 * related row: those joined on columns that are not all in the related table's primary key.
 *
 * Why the others never do (joined-plan.ts searches the index only when an update or delete carries
 * neither an old row nor a key holding the join columns): the key of every update or delete is its
 * replica identity, the primary key by default, and the refs name a related row by that same primary
 * key. A row whose event carries no primary key cannot be named in the refs either, so a search could
 * not find it. When the join columns are all in the primary key, every event that could be searched
 * for already holds them: the affected documents are found by their foreign key, from the source.
 * A child table (joined on its foreign key) needs the refs; a lookup joined on its key does not.
 */
export function relationsNeedingRefs(
  spec: Pick<DocumentSpec, 'relations'>,
  primaryKey: (table: string) => readonly string[],
): Relation[] {
  return spec.relations.filter((relation) => {
    const key = new Set(primaryKey(relation.table));
    return !relation.relatedColumns.every((column) => key.has(column));
  });
}
