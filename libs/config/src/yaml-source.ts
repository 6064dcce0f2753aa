/** YAML → plain values, keeping the line:column of every value and interpolating `${…}` on the way. */
import YAML, { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node } from 'yaml';
import { interpolate, maskReferences, unmaskReferences, type InterpolationContext } from './interpolate';
import { formatPath, type ConfigIssue, type PathSegment } from './issues';

export interface Location {
  line: number;
  column: number;
}

export interface ParsedYaml {
  value: unknown;
  /** formatPath(path) → where the value starts in the file. */
  locations: Map<string, Location>;
  /** formatPath(path) → where the key of that value is (for "unknown key" messages). */
  keyLocations: Map<string, Location>;
  /** formatPath(path) of values that came from secrets (files, secret-looking variables). */
  secretPaths: Set<string>;
  /** The values that came from secrets, for redaction. */
  secretValues: string[];
  issues: ConfigIssue[];
}

/** A configuration is a few kilobytes; anything near this is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Aliases (`*name`) resolved per file, and values produced in all (an alias bomb expands exponentially). */
export const MAX_ALIASES = 100;
export const MAX_VALUES = 100_000;

export function parseYaml(text: string, ctx: InterpolationContext): ParsedYaml {
  const result: ParsedYaml = {
    value: undefined,
    locations: new Map(),
    keyLocations: new Map(),
    secretPaths: new Set(),
    secretValues: [],
    issues: [],
  };
  if (text.length > MAX_CONFIG_BYTES) {
    result.issues.push({
      path: '(yaml)',
      message: `expected a configuration of at most ${MAX_CONFIG_BYTES / 1024} KiB, found ${Math.ceil(text.length / 1024)} KiB`,
    });
    return result;
  }
  const parse = (masked: string) => {
    const lineCounter = new LineCounter();
    const options = { lineCounter, prettyErrors: true, uniqueKeys: true, maxAliasCount: MAX_ALIASES };
    return { lineCounter, doc: YAML.parseDocument(masked, options) };
  };
  let { lineCounter, doc } = parse(maskReferences(text));
  if (doc.errors.length > 0 && text.includes('${')) {
    // A malformed `${VAR }` may have swallowed a closing brace: parse again masking only well-formed
    // references, so the malformed one is reported at its path instead of as a YAML syntax error.
    const strict = parse(maskReferences(text, true));
    if (strict.doc.errors.length === 0) ({ lineCounter, doc } = strict);
  }
  if (doc.errors.length > 0) {
    const seen = new Set<string>();
    for (const error of doc.errors) {
      const pos = error.linePos?.[0];
      const what = unmaskReferences(error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''));
      const issue: ConfigIssue = {
        path: '(yaml)',
        message: `not valid YAML: ${what}`,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
      };
      const id = `${issue.line}:${issue.column}:${issue.message}`;
      if (!seen.has(id)) result.issues.push(issue);
      seen.add(id);
    }
    return result;
  }
  const locate = (node: Node | null | undefined): Location | undefined => {
    if (!node?.range) return undefined;
    const pos = lineCounter.linePos(node.range[0]);
    return { line: pos.line, column: pos.col };
  };

  let aliases = 0;
  let values = 0;
  class TooLarge extends Error {}
  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (++values > MAX_VALUES) throw new TooLarge(`expected at most ${MAX_VALUES} values, found more`);
    const key = formatPath(path);
    const where = locate(node as Node);
    if (where) result.locations.set(key, where);
    if (isAlias(node)) {
      if (++aliases > MAX_ALIASES) throw new TooLarge(`expected at most ${MAX_ALIASES} aliases (*name), found more`);
      return walk(node.resolve(doc), path);
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const childPath = [...path, name];
        const keyWhere = locate(pair.key as Node);
        if (keyWhere) result.keyLocations.set(formatPath(childPath), keyWhere);
        const valueNode = pair.value as Node | null;
        if (!valueNode) {
          if (keyWhere) result.locations.set(formatPath(childPath), keyWhere);
          out[name] = null;
          continue;
        }
        out[name] = walk(valueNode, childPath);
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item, index) => walk(item, [...path, index]));
    if (isScalar(node)) {
      if (typeof node.value !== 'string') return node.value;
      const resolved = interpolate(node.value, ctx);
      if (!resolved.ok) {
        result.issues.push({ path: key, message: resolved.message, ...where });
        return undefined;
      }
      if (resolved.secret) {
        result.secretPaths.add(key);
        result.secretValues.push(resolved.value);
      }
      // An unquoted `port: ${PORT:-8080}` means a number, as it would written out.
      if (resolved.wholeReference && node.type === 'PLAIN' && /^(-?\d+(\.\d+)?|true|false)$/.test(resolved.value)) {
        return YAML.parse(resolved.value) as unknown;
      }
      return resolved.value;
    }
    return node === null || node === undefined ? null : (node as Node).toJSON();
  };

  try {
    result.value = doc.contents ? walk(doc.contents, []) : null;
  } catch (error) {
    if (!(error instanceof TooLarge)) throw error;
    result.value = undefined;
    result.issues = [{ path: '(yaml)', message: `not a plausible configuration: ${error.message}` }];
  }
  return result;
}
