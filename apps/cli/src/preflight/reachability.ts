/**
 * What `run` checks on the servers before it creates anything (slot, publication, index, keys):
 * the source is reachable with `wal_level=logical`, its role may replicate (REPLICATION or superuser)
 * and read every published table, and may create the publication; every sink's server answers; the
 * log Redis accepts the configured database and credentials. Each failure names the config path.
 */
import pg from 'pg';
import { connectRedis } from '@distributary/changelog';
import { quoteQualifiedName, type DistributaryConfig } from '@distributary/config';
import { redactUrl } from '@distributary/observability';
import { untilReady } from '../log-connection';
import type { RoleName } from '../roles/role';

const TIMEOUT_MS = 5000;

export interface PreflightProblem {
  path: (string | number)[];
  message: string;
  /** The server did not answer (it may be restarting): worth waiting for, unlike a refusal. */
  unreachable?: boolean;
}

function reason(error: unknown): string {
  return redactUrl(error instanceof Error ? error.message || error.name : String(error)).slice(0, 300);
}

async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: TIMEOUT_MS });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkSource(config: DistributaryConfig): Promise<PreflightProblem[]> {
  const path = ['source', 'postgres', 'url'];
  try {
    return await withPg(config.source.postgres.url, async (client) => {
      const problems: PreflightProblem[] = [];
      const { rows } = await client.query<{ wal_level: string; replication: boolean; can_create: boolean }>(
        `SELECT current_setting('wal_level') AS wal_level,
                (r.rolreplication OR r.rolsuper) AS replication,
                has_database_privilege(current_database(), 'CREATE') AS can_create
           FROM pg_roles r
          WHERE r.rolname = current_user`,
      );
      const role = rows[0];
      if (role?.wal_level !== 'logical') {
        problems.push({
          path,
          message: `expected a server with wal_level=logical, found wal_level=${role?.wal_level}`,
        });
      }
      if (!role?.replication) {
        problems.push({
          path,
          message: 'expected a role with the REPLICATION attribute (or a superuser), found neither',
        });
      }
      const publication = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [
        config.source.postgres.publication,
      ]);
      if (publication.rowCount === 0 && !role?.can_create) {
        problems.push({
          path: ['source', 'postgres', 'publication'],
          message: `expected a role that may create publication "${config.source.postgres.publication}" (CREATE on the database), or the publication to exist`,
        });
      }
      for (const [index, table] of config.source.tables.entries()) {
        const { rows: found } = await client.query<{ oid: string | null; readable: boolean | null }>(
          `SELECT to_regclass($1)::oid::text AS oid,
                  CASE WHEN to_regclass($1) IS NULL THEN NULL ELSE has_table_privilege(to_regclass($1), 'SELECT') END AS readable`,
          [quoteQualifiedName(table)],
        );
        if (found[0]?.oid === null) {
          problems.push({
            path: ['source', 'tables', index],
            message: `expected an existing table, found no table ${table}`,
          });
        } else if (!found[0]?.readable) {
          problems.push({
            path: ['source', 'tables', index],
            message: `expected SELECT privilege on ${table}, found none`,
          });
        }
      }
      return problems;
    });
  } catch (error) {
    // A server that answered with an error (auth, unknown database) refuses; anything else may pass.
    const unreachable = pgNotReadyYet(error);
    return [{ path, message: `expected a reachable PostgreSQL server, found: ${reason(error)}`, unreachable }];
  }
}

/** Connects, pings, and reports what the server refused: ioredis only emits a failed SELECT (a
 * database the server does not have) as an 'error' event and then carries on in database 0. */
async function probeRedis(
  target: { url: string } | { cluster: string[] },
): Promise<{ refused?: string; unreachable?: string }> {
  const redis = connectRedis(target, {
    maxRetriesPerRequest: 1,
    connectTimeout: TIMEOUT_MS,
    retryStrategy: (attempt) => (attempt > 1 ? null : 200),
    lazyConnect: true,
  });
  let lastError = '';
  let refused: string | undefined;
  redis.on('error', (error: unknown) => {
    lastError = reason(error);
    if (error instanceof Error && error.name === 'ReplyError') refused ??= lastError;
  });
  try {
    await untilReady(redis, TIMEOUT_MS, () => lastError);
    await redis.ping();
    return refused ? { refused } : {};
  } catch (error) {
    if (refused) return { refused };
    if (error instanceof Error && error.name === 'ReplyError') return { refused: reason(error) };
    return { unreachable: lastError || reason(error) };
  } finally {
    redis.disconnect();
  }
}

async function checkRedis(target: { url: string } | { cluster: string[] }, path: (string | number)[]) {
  const { refused, unreachable } = await probeRedis(target);
  if (refused) return [{ path, message: `expected Redis to accept the connection, found: ${refused}` }];
  if (unreachable) return [{ path, message: `expected a reachable Redis, found: ${unreachable}`, unreachable: true }];
  return [];
}

/** A reply error (a database the server does not have, a password, an ACL) is a configuration
 * problem; a refused connection to the log Redis is left to `run`, which waits while it restarts. */
async function checkLogRedis(config: DistributaryConfig): Promise<PreflightProblem[]> {
  const { refused } = await probeRedis(config.log.redis);
  return refused
    ? [{ path: ['log', 'redis'], message: `expected the log Redis to accept the connection, found: ${refused}` }]
    : [];
}

async function checkElasticsearch(url: string, path: (string | number)[]): Promise<PreflightProblem[]> {
  // Loaded here, not at the top: a connector-only run never loads the Elasticsearch client.
  const { Client: ElasticsearchClient } = await import('@elastic/elasticsearch');
  const client = new ElasticsearchClient({ node: url, maxRetries: 0, requestTimeout: TIMEOUT_MS });
  try {
    await client.transport.request({ method: 'GET', path: '/_cluster/health' });
    return [];
  } catch (error) {
    const status = (error as { meta?: { statusCode?: number } }).meta?.statusCode;
    // The server answered: reachable. Only refused credentials are a configuration problem here.
    if (typeof status === 'number' && status > 0 && status !== 401) return [];
    const what = status === 401 ? 'credentials it accepts' : 'a reachable Elasticsearch';
    return [{ path, message: `expected ${what}, found: ${reason(error)}`, unreachable: status !== 401 }];
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function checkViewTarget(url: string, path: (string | number)[]): Promise<PreflightProblem[]> {
  try {
    await withPg(url, (client) => client.query('SELECT 1'));
    return [];
  } catch (error) {
    const unreachable = pgNotReadyYet(error);
    return [
      { path, message: `expected a reachable PostgreSQL server for the view, found: ${reason(error)}`, unreachable },
    ];
  }
}

/** Every problem found, in config order. Read-only: nothing is created. */
export async function checkServers(
  config: DistributaryConfig,
  roles: readonly RoleName[],
): Promise<PreflightProblem[]> {
  const checks: Promise<PreflightProblem[]>[] = [checkLogRedis(config)];
  if (roles.includes('connector')) checks.push(checkSource(config));
  if (roles.includes('worker')) {
    config.sinks.forEach((sink, index) => {
      if ('elasticsearch' in sink)
        checks.push(checkElasticsearch(sink.elasticsearch.url, ['sinks', index, 'elasticsearch', 'url']));
      else if ('redis' in sink) checks.push(checkRedis(sink.redis, ['sinks', index, 'redis']));
      else if ('view' in sink) checks.push(checkViewTarget(sink.view.postgres, ['sinks', index, 'view', 'postgres']));
    });
  }
  return (await Promise.all(checks)).flat();
}

/** SQLSTATE classes of a server that is there but not ready yet: connection exceptions (08), too many
 *  connections (53), starting up / shutting down (57, e.g. 57P03 "the database system is starting up"). */
const NOT_READY_CLASSES = new Set(['08', '53', '57']);

/**
 * Whether a failed PostgreSQL connection is worth waiting for: no answer at all (no SQLSTATE), or an
 * answer that says "not now". Any other SQLSTATE (bad password, unknown database) is a refusal.
 */
export function pgNotReadyYet(error: unknown): boolean {
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  // Only the server's own error messages carry a severity; socket errors (ECONNREFUSED, EPIPE…) do not.
  if (typeof severity !== 'string' || typeof code !== 'string') return true;
  return NOT_READY_CLASSES.has(code.slice(0, 2));
}
