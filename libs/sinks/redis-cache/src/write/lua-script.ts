import { join } from 'node:path';
import { defineScripts, type LuaScript, type RedisClient } from '@distributary/changelog';
import { withDeadline } from './deadline';

type ScriptArg = string | number;

/** A Lua script kept as `commands/<name>.lua`, run through the repository's one loader (changelog's
 *  defineScripts: ioredis defineCommand, EVALSHA with EVAL on NOSCRIPT), on a single Redis or a Cluster. */
export class TimedScript {
  constructor(private readonly script: LuaScript) {}

  get name(): string {
    return this.script.name;
  }

  /** Runs the script; a call without a reply within `timeoutMs` fails (see deadline.ts). */
  run(client: RedisClient, keys: string[], args: ScriptArg[], timeoutMs: number): Promise<unknown> {
    return withDeadline(`script ${this.script.name} on ${keys[0]}`, timeoutMs, this.script.run(client, keys, args));
  }
}

const loaded = defineScripts(join(__dirname, 'commands'), {
  writeValue: 'write-value',
  deleteValue: 'delete-value',
  groupAdd: 'group-add',
  groupRemove: 'group-remove',
  writeRowState: 'write-row-state',
  applyEvent: 'apply-event',
});

export const scripts = {
  writeValue: new TimedScript(loaded.writeValue),
  deleteValue: new TimedScript(loaded.deleteValue),
  groupAdd: new TimedScript(loaded.groupAdd),
  groupRemove: new TimedScript(loaded.groupRemove),
  writeRowState: new TimedScript(loaded.writeRowState),
  applyEvent: new TimedScript(loaded.applyEvent),
};
