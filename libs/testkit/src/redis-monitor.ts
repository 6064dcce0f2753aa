import { connect, type Socket } from 'node:net';

/** One line of MONITOR: the command's name (lower case), whether a Lua script ran it, and the whole line. */
export interface MonitoredCommand {
  command: string;
  fromLua: boolean;
  line: string;
}

/**
 * MONITOR on a plain socket, for tests that count the commands a component sends. ioredis's own
 * monitor() loses track of its command queue when monitor lines arrive while it switches modes under
 * other clients' traffic ("Command queue state error", an uncaught exception: ioredis issue #1981), so
 * the lines are read here directly: `+<time> [<db> <client>|lua] "<command>" "<arg>" …`.
 */
export class RedisMonitor {
  private buffered = '';

  private constructor(
    private readonly socket: Socket,
    private readonly onCommand: (seen: MonitoredCommand) => void,
  ) {}

  /** Resolves once the server answered MONITOR (every later command is seen). */
  static start(url: string, onCommand: (seen: MonitoredCommand) => void): Promise<RedisMonitor> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port || 6379) });
      const monitor = new RedisMonitor(socket, onCommand);
      let started = false;
      socket.setEncoding('utf8');
      socket.once('error', (error) => (started ? undefined : reject(error)));
      socket.on('error', () => undefined);
      socket.on('data', (chunk: string) => {
        if (!started) {
          const ok = chunk.indexOf('+OK\r\n');
          if (ok < 0) {
            reject(new Error(`MONITOR was not accepted: ${chunk.slice(0, 200)}`));
            socket.destroy();
            return;
          }
          started = true;
          resolve(monitor);
          chunk = chunk.slice(ok + 5);
        }
        monitor.receive(chunk);
      });
      socket.write('MONITOR\r\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let end = this.buffered.indexOf('\r\n');
    while (end >= 0) {
      this.line(this.buffered.slice(0, end));
      this.buffered = this.buffered.slice(end + 2);
      end = this.buffered.indexOf('\r\n');
    }
  }

  private line(line: string): void {
    const close = line.indexOf('] "');
    if (!line.startsWith('+') || close < 0) return;
    const from = close + 3;
    const to = line.indexOf('"', from);
    if (to < 0) return;
    const client = line.slice(line.indexOf('[') + 1, close);
    this.onCommand({ command: line.slice(from, to).toLowerCase(), fromLua: client.endsWith(' lua'), line });
  }
}
