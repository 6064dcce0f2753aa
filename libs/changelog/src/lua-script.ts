import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { RedisClient } from './redis-connection';

/**
 * A server-side script kept as a real `.lua` file in ./lua, loaded by name at runtime. Called with
 * EVALSHA and falling back to EVAL when the server does not know it yet (restart, other cluster node).
 * Every script touches only keys of one hash tag, so it runs unchanged on a single Redis and a cluster.
 */
export class LuaScript {
  /** The script text (for EVAL where EVALSHA's NOSCRIPT fallback would be unsafe). */
  readonly source: string;
  private readonly sha: string;

  constructor(readonly name: string) {
    this.source = readFileSync(join(__dirname, 'lua', `${name}.lua`), 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  async run(redis: RedisClient, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.includes('NOSCRIPT')) {
        return redis.eval(this.source, keys.length, ...keys, ...args);
      }
      throw error;
    }
  }
}

const loaded = new Map<string, LuaScript>();

/** The script `lua/<name>.lua`, read once per process. */
export function luaScript(name: string): LuaScript {
  let script = loaded.get(name);
  if (!script) {
    script = new LuaScript(name);
    loaded.set(name, script);
  }
  return script;
}
