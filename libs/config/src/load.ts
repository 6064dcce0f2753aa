/**
 * Loading the one YAML configuration file. Either the whole configuration is valid and returned, or a
 * ConfigError (libs/core) lists every problem with file, path, line:column, what was found and what
 * was expected — nothing half-starts.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { crossCheck } from './cross-checks';
import { ConfigFileError, describeFound, formatPath, type ConfigIssue, type PathSegment } from './issues';
import { adminTokenSchema, type AdminToken } from './schema/admin';
import { configSchema, sinkKinds, sinkSchemasByKind, type DistributaryConfig, type SinkConfig } from './schema/root';
import { sinkKindsPresent } from './sink-kind';
import { registerConfigSecrets } from './secrets';
import { parseYaml, type Location } from './yaml-source';
import { toConfigIssues } from './zod-issues';

export const ADMIN_TOKENS_ENV = 'DISTRIBUTARY_ADMIN_TOKENS';
export const CONFIG_ENV = 'DISTRIBUTARY_CONFIG';

export interface LoadOptions {
  /** Environment for `${VAR}` references and admin tokens; default process.env. */
  env?: Record<string, string | undefined>;
}

/** The config file to use: the explicit one, else env DISTRIBUTARY_CONFIG, else ./distributary.yaml. */
export function resolveConfigPath(explicit?: string, env: Record<string, string | undefined> = process.env): string {
  return resolve(explicit || env[CONFIG_ENV] || 'distributary.yaml');
}

/** Reads, interpolates and validates a configuration file. Throws ConfigError (ConfigFileError). */
export function loadConfig(file: string, options: LoadOptions = {}): DistributaryConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : String(error);
    throw new ConfigFileError(file, [{ path: '(file)', message: `cannot read the configuration: ${reason}` }]);
  }
  return parseConfig(text, { file, ...options });
}

/** Like loadConfig, for text already in memory; `file` names it in errors and anchors `${file:…}`. */
export function parseConfig(text: string, options: LoadOptions & { file: string }): DistributaryConfig {
  const env = options.env ?? process.env;
  const parsed = parseYaml(text, { env, baseDir: dirname(resolve(options.file)) });
  // Known before any message is built, so that no error, log line or status output can show them.
  registerConfigSecrets(parsed.value, parsed.secretValues);
  if (parsed.issues.some((issue) => issue.path === '(yaml)')) throw new ConfigFileError(options.file, parsed.issues);
  const raw = parsed.value;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigFileError(options.file, [
      { path: '(root)', message: `expected a mapping with source, log and sinks, found ${describeFound(raw, false)}` },
    ]);
  }
  // Unresolved `${…}` references are reported once, not again as "missing" by the schema.
  const unresolved = new Set(parsed.issues.map((issue) => issue.path));
  const issues: ConfigIssue[] = [];
  const finish = (): never => {
    const all = [...parsed.issues, ...issues.filter((i) => !unresolved.has(i.path))];
    // In file order; problems without a location (environment) last.
    const order = (i: ConfigIssue): number => (i.line ?? 1e9) * 1e4 + (i.column ?? 0);
    throw new ConfigFileError(
      options.file,
      all.sort((a, b) => order(a) - order(b)),
    );
  };
  const context = { locations: parsed.locations, keyLocations: parsed.keyLocations, secretPaths: parsed.secretPaths };
  const at = (path: PathSegment[], message: string): ConfigIssue => locate(path, message, parsed.locations);

  // Everything but the sinks, with the root schema (sinks checked one by one below).
  const { sinks: rawSinks, ...rest } = raw as Record<string, unknown>;
  const rootSchema = configSchema.omit({ sinks: true });
  const root = rootSchema.safeParse(rest);
  if (!root.success) {
    issues.push(...toConfigIssues(root.error.issues, { value: rest, basePath: [], schema: configSchema, ...context }));
  }

  const sinks: SinkConfig[] = [];
  if (rawSinks !== undefined && rawSinks !== null && !Array.isArray(rawSinks)) {
    issues.push(at(['sinks'], `expected a list of sinks, found ${describeFound(rawSinks, false)}`));
  } else {
    (rawSinks ?? []).forEach((rawSink: unknown, index: number) => {
      const path: PathSegment[] = ['sinks', index];
      const checked = parseSink(rawSink, path, context);
      if ('issues' in checked) issues.push(...checked.issues);
      else sinks.push(checked.sink);
    });
  }

  const adminTokens = tokensFromEnv(env[ADMIN_TOKENS_ENV]);
  if ('tokens' in adminTokens) registerConfigSecrets(adminTokens.tokens);
  if ('issue' in adminTokens) issues.push(adminTokens.issue);

  if (issues.length === 0 && root.success && 'tokens' in adminTokens) {
    const config: DistributaryConfig = {
      ...root.data,
      sinks,
      admin: { ...root.data.admin, tokens: [...root.data.admin.tokens, ...adminTokens.tokens] },
    };
    issues.push(...crossCheck(config).map((issue) => at(issue.path, issue.message)));
    if (issues.length === 0 && parsed.issues.length === 0) return config;
  }
  return finish();
}

function parseSink(
  rawSink: unknown,
  path: PathSegment[],
  context: {
    locations: ReadonlyMap<string, Location>;
    keyLocations: ReadonlyMap<string, Location>;
    secretPaths: ReadonlySet<string>;
  },
): { sink: SinkConfig } | { issues: ConfigIssue[] } {
  const at = (message: string): { issues: ConfigIssue[] } => ({ issues: [locate(path, message, context.locations)] });
  if (rawSink === null || typeof rawSink !== 'object' || Array.isArray(rawSink)) {
    return at(
      `expected a sink (a mapping with name, from and one of ${sinkKinds.join(' / ')}), found ${describeFound(rawSink, false)}`,
    );
  }
  const kinds = sinkKindsPresent(rawSink);
  const name = (rawSink as { name?: unknown }).name;
  const label = typeof name === 'string' ? ` "${name}"` : '';
  if (kinds.length === 0) {
    const keys = Object.keys(rawSink);
    return at(
      `expected exactly one of ${sinkKinds.join(' / ')} in sink${label}, found none (keys: ${keys.join(', ') || 'none'})`,
    );
  }
  if (kinds.length > 1) {
    return at(`expected exactly one of ${sinkKinds.join(' / ')} in sink${label}, found ${kinds.join(' and ')}`);
  }
  const schema = sinkSchemasByKind[kinds[0]];
  const result = schema.safeParse(rawSink);
  if (result.success) return { sink: result.data };
  return { issues: toConfigIssues(result.error.issues, { value: rawSink, basePath: path, schema, ...context }) };
}

function locate(path: PathSegment[], message: string, locations: ReadonlyMap<string, Location>): ConfigIssue {
  for (let n = path.length; n >= 0; n--) {
    const where = locations.get(formatPath(path.slice(0, n)));
    if (where) return { path: formatPath(path), message, line: where.line, column: where.column };
  }
  return { path: formatPath(path), message };
}

/** DISTRIBUTARY_ADMIN_TOKENS="viewer:tok1,operator:tok2". */
function tokensFromEnv(value: string | undefined): { tokens: AdminToken[] } | { issue: ConfigIssue } {
  if (!value?.trim()) return { tokens: [] };
  const tokens: AdminToken[] = [];
  for (const [index, entry] of value.split(',').entries()) {
    const colon = entry.indexOf(':');
    const candidate = { role: entry.slice(0, colon).trim(), token: entry.slice(colon + 1).trim() };
    const parsed = colon < 0 ? undefined : adminTokenSchema.safeParse(candidate);
    if (!parsed?.success) {
      return {
        issue: {
          path: `env ${ADMIN_TOKENS_ENV}[${index}]`,
          message: `expected "viewer:<token>" or "operator:<token>" with a token of at least 8 characters, found "${colon < 0 ? '' : `${candidate.role}:`}***"`,
        },
      };
    }
    tokens.push(parsed.data);
  }
  return { tokens };
}

/** Where the value at `path` (as in `sinks[2].sql`) starts in a configuration file, for checks made
 * after loading (e.g. parsing a view's SQL with the real parser). */
export function locateInFile(file: string, path: PathSegment[]): { line: number; column: number } | undefined {
  try {
    const parsed = parseYaml(readFileSync(file, 'utf8'), { env: {}, baseDir: dirname(resolve(file)) });
    for (let n = path.length; n >= 0; n--) {
      const where = parsed.locations.get(formatPath(path.slice(0, n)));
      if (where) return where;
    }
  } catch {
    // the file was loaded a moment ago; without a location the message still names the path
  }
  return undefined;
}
