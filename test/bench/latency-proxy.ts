import net from 'node:net';

/**
 * A TCP proxy that delays every reply chunk by `delayMs` (order kept: equal delays fire in order), so a
 * service on this machine answers like one a network round trip away. Figure 7 puts it in front of
 * Elasticsearch to make the sink latency-bound, where adding workers can show. Figure 5 uses it with
 * no delay and an observer, to see when the worker's bulk requests leave and are answered.
 */
export interface LatencyProxy {
  url: string;
  close(): Promise<void>;
}

/** Sees one proxied connection's traffic: request bytes as they leave, replies as they arrive. */
export interface ConnectionObserver {
  request(chunk: Buffer, at: number): void;
  response(at: number): void;
}

export async function startLatencyProxy(
  targetPort: number,
  delayMs: number,
  observe?: () => ConnectionObserver,
): Promise<LatencyProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const observer = observe?.();
    sockets.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', () => setTimeout(drop, delayMs));
    client.on('data', (chunk: Buffer) => {
      observer?.request(chunk, performance.now());
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      observer?.response(performance.now());
      if (delayMs <= 0) {
        client.write(chunk);
        return;
      }
      setTimeout(() => {
        if (!client.destroyed) client.write(chunk);
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
