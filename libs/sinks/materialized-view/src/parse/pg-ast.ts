import type { Node } from '@pgsql/types';

/** A libpg-query AST node: an object with exactly one key, the node type ("SelectStmt", "ColumnRef", ...). */
export type PgNode = Node | Record<string, unknown>;

export function nodeTag(node: PgNode): string {
  return Object.keys(node)[0] ?? 'unknown';
}

/** The body of `node` when it is of type `tag`; throws when the parser produced something else. */
export function expectNode<T>(node: PgNode, tag: string): T {
  const body = (node as Record<string, unknown>)[tag];
  if (body === undefined) throw new Error(`expected a ${tag} node, got ${nodeTag(node)}`);
  return body as T;
}
