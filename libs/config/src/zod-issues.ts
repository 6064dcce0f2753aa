/** zod issues → ConfigIssues that say "expected …, found …" in words, with the path and location. */
import { z } from 'zod';
import { describeFound, formatPath, isSecretPath, type ConfigIssue, type PathSegment } from './issues';
import type { Location } from './yaml-source';

export interface IssueContext {
  /** The root value that was validated, and the path of that value in the file. */
  value: unknown;
  basePath: PathSegment[];
  schema: z.ZodType;
  locations: ReadonlyMap<string, Location>;
  keyLocations: ReadonlyMap<string, Location>;
  secretPaths: ReadonlySet<string>;
}

type ZodIssue = z.core.$ZodIssue;

export function toConfigIssues(
  issues: readonly ZodIssue[],
  ctx: IssueContext,
  prefix: PathSegment[] = [],
): ConfigIssue[] {
  return issues.flatMap((issue) => convert(issue, ctx, [...prefix, ...(issue.path as PathSegment[])]));
}

function convert(issue: ZodIssue, ctx: IssueContext, relPath: PathSegment[]): ConfigIssue[] {
  if (issue.code === 'invalid_union') {
    const branch = bestBranch(issue.errors, relPath, ctx);
    if (branch) return toConfigIssues(branch, ctx, relPath);
  }
  if (issue.code === 'unrecognized_keys') {
    const expectedKeys = objectKeys(schemaAt(ctx.schema, relPath));
    return issue.keys.map((key) => {
      const message = `unknown key "${key}"${expectedKeys.length ? ` (expected one of: ${expectedKeys.join(', ')})` : ''}`;
      const path = formatPath([...ctx.basePath, ...relPath, key]);
      const where = ctx.keyLocations.get(path);
      return where
        ? { path, message, line: where.line, column: where.column }
        : located(ctx, [...relPath, key], { message });
    });
  }
  const found = valueAt(ctx.value, relPath);
  const fullPath = [...ctx.basePath, ...relPath];
  const shown = describeFound(found, isSecretPath(fullPath, ctx.secretPaths));
  if (issue.code === 'invalid_type' && found === undefined) {
    return [located(ctx, relPath, { message: `missing: expected ${article(issue.expected)}` })];
  }
  if (issue.code === 'custom') {
    const message = issue.message.startsWith('expected ')
      ? `${issue.message}, found ${shown}`
      : `${issue.message} (found ${shown})`;
    return [located(ctx, relPath, { message })];
  }
  return [located(ctx, relPath, { message: `expected ${expectation(issue, ctx, relPath)}, found ${shown}` })];
}

function located(ctx: IssueContext, relPath: PathSegment[], issue: { message: string }): ConfigIssue {
  const full = [...ctx.basePath, ...relPath];
  // A missing value has no location of its own: point at the nearest enclosing value.
  for (let n = full.length; n >= 0; n--) {
    const where = ctx.locations.get(formatPath(full.slice(0, n)));
    if (where) return { path: formatPath(full), message: issue.message, line: where.line, column: where.column };
  }
  return { path: formatPath(full), message: issue.message };
}

const DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized|Expected)/;

function expectation(issue: ZodIssue, ctx: IssueContext, relPath: PathSegment[]): string {
  const custom = DEFAULT_MESSAGE.test(issue.message) ? undefined : issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'a whole number' : article(issue.expected);
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return custom ?? ('pattern' in issue && issue.pattern ? `a string matching ${issue.pattern}` : issue.format);
    case 'too_small':
      return custom ?? bound('at least', issue.minimum, issue.origin, issue.inclusive);
    case 'too_big':
      return custom ?? bound('at most', issue.maximum, issue.origin, issue.inclusive);
    case 'invalid_union':
      return unionShapes(schemaAt(ctx.schema, relPath)) ?? 'one of the allowed shapes';
    default:
      return custom ?? issue.message;
  }
}

function bound(word: string, limit: number | bigint, origin: string, inclusive?: boolean): string {
  const n = String(limit);
  if (origin === 'array' || origin === 'set') return `${word} ${n} item${n === '1' ? '' : 's'}`;
  if (origin === 'string') return `${word} ${n} character${n === '1' ? '' : 's'}`;
  const op = word === 'at least' ? (inclusive === false ? '>' : '>=') : inclusive === false ? '<' : '<=';
  return `a number ${op} ${n}`;
}

function article(type: string): string {
  if (type === 'object') return 'a mapping (key: value)';
  if (type === 'array') return 'a list';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The union branch the user evidently meant: the one whose value has the right type and keys. */
function bestBranch(branches: ZodIssue[][], relPath: PathSegment[], _ctx: IssueContext): ZodIssue[] | undefined {
  const plausible = branches.filter(
    (issues) =>
      !issues.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'unrecognized_keys')),
  );
  void relPath;
  return plausible.length === 1 ? plausible[0] : undefined;
}

export function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** The schema that validates the value at `path`, looking through defaults, optionals and pipes. */
export function schemaAt(schema: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (!current) return undefined;
    if (current instanceof z.ZodObject && typeof segment === 'string') current = unwrap(current.shape[segment]);
    else if (current instanceof z.ZodArray && typeof segment === 'number')
      current = unwrap(current.element as z.ZodType);
    else if (current instanceof z.ZodRecord) current = unwrap(current.valueType as z.ZodType);
    else return undefined;
  }
  return current;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (let i = 0; i < 10 && current; i++) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault || current instanceof z.ZodOptional) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodNullable) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else break;
  }
  return current;
}

function objectKeys(schema: z.ZodType | undefined): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unionShapes(schema: z.ZodType | undefined): string | undefined {
  if (!(schema instanceof z.ZodUnion)) return undefined;
  const shapes = (schema.options as z.ZodType[]).map((option) => {
    const inner = unwrap(option);
    if (inner instanceof z.ZodObject) {
      const required = Object.entries(inner.shape as Record<string, z.ZodType>)
        .filter(([, s]) => !(s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodPrefault))
        .map(([k]) => k);
      return `{ ${required.join(', ')} }`;
    }
    return inner ? inner.def.type : 'unknown';
  });
  return `exactly one of ${shapes.join(' or ')}`;
}
