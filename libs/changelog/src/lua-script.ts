import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { RedisClient } from './redis-connection';

type ScriptArg = string | number | Buffer;
type DefinedCommand = (numKeys: number, ...keysAndArgs: ScriptArg[]) => Promise<unknown>;

/**
 * A server-side script kept as a real `.lua` file, read once per process and run as an ioredis
 * command (`defineCommand`): EVALSHA, and EVAL when the server does not know it yet (restart, other
 * cluster node) — ioredis does the fallback. Every script touches only keys of one hash tag, so it runs
 * unchanged on a single Redis and a cluster (a Cluster client defines commands too, routed by the
 * first key). The one loader of the repository: the change log's scripts (./lua) and the sinks'
 * (defineScripts with their own folder).
 */
export class LuaScript {
  /** The script text (for EVAL where EVALSHA's NOSCRIPT fallback would be unsafe, e.g. in a pipeline). */
  readonly source: string;
  readonly sha: string;
  /** The command's name on a client: from the digest, so it never shadows a Redis command or another script. */
  private readonly command: string;
  private readonly definedOn = new WeakSet<RedisClient>();

  constructor(
    readonly name: string,
    file = join(__dirname, 'lua', `${name}.lua`),
  ) {
    this.source = readFileSync(file, 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
    this.command = `lua_${this.sha}`;
  }

  run(redis: RedisClient, keys: string[], args: ScriptArg[]): Promise<unknown> {
    if (!this.definedOn.has(redis)) {
      redis.defineCommand(this.command, { lua: this.source });
      this.definedOn.add(redis);
    }
    const command = (redis as unknown as Record<string, DefinedCommand>)[this.command];
    return command.call(redis, keys.length, ...keys, ...args);
  }
}

const loaded = new Map<string, LuaScript>();

/** The change log's script `lua/<name>.lua`, read once per process. */
export function luaScript(name: string): LuaScript {
  let script = loaded.get(name);
  if (!script) {
    script = new LuaScript(name);
    loaded.set(name, script);
  }
  return script;
}

/**
 * A package's scripts, `<dir>/<file>.lua` each, by the names its code calls them: e.g.
 * `defineScripts(join(__dirname, 'commands'), { writeValue: 'write-value' })`.
 */
export function defineScripts<Name extends string>(dir: string, files: Record<Name, string>): Record<Name, LuaScript> {
  const scripts = {} as Record<Name, LuaScript>;
  for (const name of Object.keys(files) as Name[])
    scripts[name] = new LuaScript(files[name], join(dir, `${files[name]}.lua`));
  return scripts;
}
