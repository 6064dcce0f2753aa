export interface CacheConfigOptions {
  /** What goes inside `source.postgres: { … }`. */
  postgres: string;
  namespace: string;
  /** The Redis of the cache (and of the log, unless `logRedis`). */
  redis: string;
  /** What goes inside `log.redis: { … }` (default: `url: <redis>`). */
  logRedis?: string;
  partitions?: number;
  /** The cache's key template (default `<namespace>:{id}`). */
  key?: string;
  admin?: { port: number; token: string };
}

/**
 * The configuration the `run` and `status` tests start: public.items captured into the log and kept
 * in the Redis cache `cache`, with an admin API when `admin` is given.
 */
export function cacheConfigYaml(options: CacheConfigOptions): string {
  const { admin, namespace } = options;
  return [
    'source:',
    `  postgres: { ${options.postgres} }`,
    '  tables: [public.items]',
    'log:',
    `  redis: { ${options.logRedis ?? `url: "${options.redis}"`} }`,
    `  namespace: ${namespace}`,
    `  partitions: ${options.partitions ?? 2}`,
    'sinks:',
    '  - name: cache',
    `    redis: { url: "${options.redis}" }`,
    '    from: public.items',
    `    key: "${options.key ?? `${namespace}:{id}`}"`,
    ...(admin
      ? [
          'admin:',
          `  port: ${admin.port}`,
          '  host: 127.0.0.1',
          `  tokens: [{ token: "${admin.token}", role: operator }]`,
        ]
      : []),
    '',
  ].join('\n');
}
