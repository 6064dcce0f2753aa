import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * The one format of a running instance's ID (connector term holder, sink worker, gateway):
 * `host:pid:hex`. A host name never contains `:`, so the pid is always the second field
 * (`id.split(':')[1]`), which a dash-separated form cannot promise (host names contain `-`).
 * IDs are only compared and shown, never parsed by the code: older IDs stay readable as they are.
 */
export function instanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}
