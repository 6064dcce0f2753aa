import { expectNode, nodeTag, type PgNode } from './pg-ast';
import { describeExpression } from './describe-node';
import { type ColumnRef, type Literal, unsupported } from './view-definition';

/** The leaves of a view's SQL: column references, literals, names. */
export function readLiteral(node: PgNode): Literal {
  const tag = nodeTag(node);
  if (tag !== 'A_Const') throw unsupported(`${describeExpression(tag)} where a literal was expected`);
  const constant = expectNode<{
    ival?: { ival?: number };
    fval?: { fval?: string };
    boolval?: { boolval?: boolean };
    sval?: { sval?: string };
    bsval?: unknown;
    isnull?: boolean;
  }>(node, 'A_Const');
  if (constant.isnull) return { kind: 'null' };
  if (constant.ival) return { kind: 'number', text: String(constant.ival.ival ?? 0) };
  if (constant.fval) return { kind: 'number', text: constant.fval.fval ?? '0' };
  if (constant.boolval) return { kind: 'boolean', value: constant.boolval.boolval ?? false };
  if (constant.sval) return { kind: 'string', value: constant.sval.sval ?? '' };
  throw unsupported('a bit-string literal');
}

export function readColumnRef(node: PgNode): ColumnRef {
  const fields = expectNode<{ fields?: PgNode[] }>(node, 'ColumnRef').fields ?? [];
  if (fields.some((field) => nodeTag(field) !== 'String')) throw unsupported('a * column reference');
  const parts = fields.map((field) => stringValue(field));
  if (parts.length === 1) return { column: parts[0] };
  if (parts.length > 3) throw unsupported(`the column reference ${parts.join('.')}`);
  return { relation: parts.slice(0, -1).join('.'), column: parts[parts.length - 1] };
}

export function stringValue(node: PgNode): string {
  return expectNode<{ sval?: string }>(node, 'String').sval ?? '';
}

export function operatorName(name: PgNode[] | undefined): string {
  return (name ?? []).map((part) => stringValue(part)).join('.');
}
