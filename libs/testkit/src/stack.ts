/** Addresses of the local stack started by scripts/stack.sh (same env overrides as scripts/env.sh). */
const env = process.env;

export const stack = {
  pgPort: Number(env.DISTRIBUTARY_PG_PORT ?? 15432),
  redisPort: Number(env.DISTRIBUTARY_REDIS_PORT ?? 16379),
  clusterPorts: (env.DISTRIBUTARY_REDIS_CLUSTER_PORTS ?? '17001 17002 17003').split(/\s+/).map(Number),
  esPort: Number(env.DISTRIBUTARY_ES_PORT ?? 19200),
};

export function pgUrl(database = 'postgres'): string {
  return `postgres://postgres@127.0.0.1:${stack.pgPort}/${database}`;
}

export function redisUrl(db = 0): string {
  return `redis://127.0.0.1:${stack.redisPort}/${db}`;
}

export function clusterNodes(): { host: string; port: number }[] {
  return stack.clusterPorts.map((port) => ({ host: '127.0.0.1', port }));
}

export function esUrl(): string {
  return `http://127.0.0.1:${stack.esPort}`;
}
