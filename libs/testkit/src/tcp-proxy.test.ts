import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type ConnectionObserver } from './tcp-proxy';

/** The proxy against a real echo server: bytes through unchanged, observed, delayed replies kept in order, cut and resume. */
let echo: net.Server;
let echoPort: number;

beforeAll(async () => {
  echo = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as net.AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

/** Sends each message and collects the echo until `expected` bytes came back. */
function exchange(port: number, messages: string[]): Promise<string> {
  const expected = messages.join('').length;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    socket.on('error', reject).on('close', () => reject(new Error(`closed after ${JSON.stringify(got)}`)));
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString();
      if (got.length < expected) return;
      socket.removeAllListeners('close');
      socket.destroy();
      resolve(got);
    });
    for (const message of messages) socket.write(message);
  });
}

describe('startTcpProxy', () => {
  it('relays both ways, and refuses connections while cut', async () => {
    const proxy = await startTcpProxy(echoPort);
    try {
      expect(await exchange(proxy.port, ['hello'])).toBe('hello');
      proxy.cut();
      await expect(exchange(proxy.port, ['x'])).rejects.toThrow();
      proxy.resume();
      expect(await exchange(proxy.port, ['again'])).toBe('again');
    } finally {
      await proxy.close();
    }
  });

  it('with a reply delay and an observer: every byte arrives in order, and the observer sees both ways', async () => {
    const requests: string[] = [];
    let responses = 0;
    const observer: ConnectionObserver = {
      request: (chunk) => requests.push(chunk.toString()),
      response: () => responses++,
    };
    const proxy = await startTcpProxy(echoPort, '127.0.0.1', { replyDelayMs: 5, observe: () => observer });
    try {
      const messages = Array.from({ length: 20 }, (_, i) => `m${i};`);
      expect(await exchange(proxy.port, messages)).toBe(messages.join(''));
      expect(requests.join('')).toBe(messages.join(''));
      expect(responses).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });
});
