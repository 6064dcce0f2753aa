import type { RedisClient } from '@distributary/changelog';

/** A Redis hash of string fields, read and written as a whole or field by field. */
export class HashRecord {
  constructor(
    private readonly redis: RedisClient,
    readonly key: string,
  ) {}

  async read(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.key);
  }

  async write(fields: Record<string, string | number>): Promise<void> {
    const flat = Object.entries(fields).flatMap(([k, v]) => [k, String(v)]);
    if (flat.length) await this.redis.hset(this.key, ...flat);
  }

  async clear(): Promise<void> {
    await this.redis.del(this.key);
  }
}
