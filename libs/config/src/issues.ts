/**
 * Configuration errors that a person can act on: the file, the path (`sinks[2].elasticsearch.index`),
 * the line:column, what was found (secrets redacted) and what was expected.
 */
import { ConfigError } from '@distributary/core';
import { isSecretFieldName, REDACTED, redactUrl } from '@distributary/observability';

export type PathSegment = string | number;

export interface ConfigIssue {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out || '(root)';
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line !== undefined ? ` (line ${issue.line}:${issue.column ?? 1})` : '';
  return `${issue.path}${where}: ${issue.message}`;
}

/** A ConfigError (libs/core) whose issues also carry line:column. */
export class ConfigFileError extends ConfigError {
  constructor(
    file: string,
    readonly located: ConfigIssue[],
  ) {
    super(
      file,
      located.map((issue) => ({ path: issue.path, message: issue.message })),
    );
    this.message = `invalid configuration in ${file}:\n${located.map((issue) => `  - ${formatIssue(issue)}`).join('\n')}`;
  }
}

/** How a found value is shown in a message: short, quoted, secrets redacted. */
export function describeFound(value: unknown, secret: boolean): string {
  if (value === undefined) return 'nothing';
  if (secret) return `"${REDACTED}" (secret)`;
  if (value === null) return 'null (an empty value)';
  if (typeof value === 'string') {
    const shown = redactUrl(value);
    return JSON.stringify(shown.length > 60 ? `${shown.slice(0, 57)}...` : shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  const keys = Object.keys(value as object);
  return keys.length ? `an object with ${keys.map((k) => `"${k}"`).join(', ')}` : 'an empty object';
}

export function isSecretPath(path: readonly PathSegment[], secretPaths: ReadonlySet<string>): boolean {
  const last = path[path.length - 1];
  return (typeof last === 'string' && isSecretFieldName(last)) || secretPaths.has(formatPath(path));
}
