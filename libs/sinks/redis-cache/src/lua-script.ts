import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClient } from '@distributary/changelog';
import { withDeadline } from './deadline';

type ScriptArg = string | number;

/** The two commands a script needs; both Redis and Cluster (routed by the first key) provide them. */
interface ScriptCommands {
  evalsha(sha: string, numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
}

/** A Lua script kept as `commands/<name>.lua`, run with EVALSHA and, on NOSCRIPT, EVAL (which caches it). */
export class LuaScript {
  readonly sha: string;

  private constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  static load(name: string): LuaScript {
    return new LuaScript(name, readFileSync(join(__dirname, 'commands', `${name}.lua`), 'utf8'));
  }

  /** Runs the script; a call without a reply within `timeoutMs` fails (see deadline.ts). */
  run(client: RedisClient, keys: string[], args: ScriptArg[], timeoutMs: number): Promise<unknown> {
    return withDeadline(`script ${this.name} on ${keys[0]}`, timeoutMs, this.call(client, keys, args));
  }

  private async call(client: RedisClient, keys: string[], args: ScriptArg[]): Promise<unknown> {
    const commands = client as unknown as ScriptCommands;
    try {
      return await commands.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return commands.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

export const scripts = {
  writeValue: LuaScript.load('write-value'),
  deleteValue: LuaScript.load('delete-value'),
  groupAdd: LuaScript.load('group-add'),
  groupRemove: LuaScript.load('group-remove'),
  writeRowState: LuaScript.load('write-row-state'),
  applyEvent: LuaScript.load('apply-event'),
};
