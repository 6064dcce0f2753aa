/** SQL identifiers in statements built from configured names: always quoted, `"` doubled. */
export function quoteIdent(name: string): string {
  return `"${name.split('"').join('""')}"`;
}

/** 'schema.table' as configured (after the schema's normalisation) → `"schema"."table"`. */
export function quoteQualifiedName(qualified: string): string {
  const dot = qualified.indexOf('.');
  return dot < 0
    ? quoteIdent(qualified)
    : `${quoteIdent(qualified.slice(0, dot))}.${quoteIdent(qualified.slice(dot + 1))}`;
}
