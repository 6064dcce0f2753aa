import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Which of `pids` holds each TCP connection to 127.0.0.1:`port` (Linux /proc): client-side local port →
 * pid. Read while the connections are open; a connection already closed is not in the map.
 */
export function socketOwners(pids: readonly number[], port: number): Map<number, number> {
  const pidOfInode = new Map<string, number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // exited
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target.startsWith('socket:[')) pidOfInode.set(target.slice(8, -1), pid);
    }
  }
  const owners = new Map<number, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[] = [];
    try {
      lines = readFileSync(file, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const localPort = parseInt(fields[1].slice(fields[1].lastIndexOf(':') + 1), 16);
      const remotePort = parseInt(fields[2].slice(fields[2].lastIndexOf(':') + 1), 16);
      const pid = pidOfInode.get(fields[9]);
      if (remotePort === port && pid !== undefined) owners.set(localPort, pid);
    }
  }
  return owners;
}
