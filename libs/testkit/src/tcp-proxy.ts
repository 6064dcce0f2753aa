import net from 'node:net';

/**
 * A real TCP proxy in front of a real service, so a test can make the service unreachable for a while
 * (every connection reset, new ones refused) without stopping the shared server other tests use. With
 * `replyDelayMs` it delays every reply chunk (order kept: equal delays fire in order), so a service on
 * this machine answers like one a network round trip away; with `observe` it shows each connection's
 * traffic (the benchmarks use both).
 */
export interface TcpProxy {
  port: number;
  url(scheme: string): string;
  /** Cut every open connection and refuse new ones until resume(). */
  cut(): void;
  /**
   * The next connection that sends a request containing `match` gets no reply from then on (its replies
   * are dropped, the connection stays open — a silent, half-open peer); other connections are untouched.
   */
  silenceWhen(match: string): void;
  resume(): void;
  close(): Promise<void>;
}

/** Sees one proxied connection's traffic: request bytes as they leave, replies as they arrive. */
export interface ConnectionObserver {
  request(chunk: Buffer, at: number): void;
  response(at: number): void;
}

export interface TcpProxyOptions {
  /** Delay every reply chunk by this many milliseconds (default 0). */
  replyDelayMs?: number;
  /** Called once per proxied connection (its client side socket) for an observer of its traffic. */
  observe?: (client: net.Socket) => ConnectionObserver;
}

export async function startTcpProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
  options: TcpProxyOptions = {},
): Promise<TcpProxy> {
  const delayMs = options.replyDelayMs ?? 0;
  let down = false;
  let silenceOn: Buffer | null = null;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (down) return client.destroy();
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    const link = { silenced: false };
    client.on('data', (chunk: Buffer) => {
      if (!silenceOn || !chunk.includes(silenceOn)) return;
      silenceOn = null;
      link.silenced = true;
      upstream.unpipe(client);
    });
    upstream.on('error', drop).on('close', () => (delayMs > 0 ? setTimeout(drop, delayMs) : drop()));
    if (delayMs <= 0 && !options.observe) {
      client.pipe(upstream);
      upstream.pipe(client);
    } else relayObserved(client, upstream, delayMs, options.observe?.(client), link);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    resume() {
      down = false;
    },
    silenceWhen(match) {
      silenceOn = Buffer.from(match);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function relayObserved(
  client: net.Socket,
  upstream: net.Socket,
  delayMs: number,
  observer: ConnectionObserver | undefined,
  link: { silenced: boolean },
): void {
  client.on('data', (chunk: Buffer) => {
    observer?.request(chunk, performance.now());
    upstream.write(chunk);
  });
  upstream.on('data', (chunk: Buffer) => {
    if (link.silenced) return;
    observer?.response(performance.now());
    if (delayMs <= 0) {
      client.write(chunk);
      return;
    }
    setTimeout(() => {
      if (!client.destroyed) client.write(chunk);
    }, delayMs);
  });
}
