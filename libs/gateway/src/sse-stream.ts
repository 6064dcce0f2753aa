/**
 * One client's Server-Sent Events stream with a bounded send buffer. Writes never wait: when the
 * bytes the socket has not taken yet exceed the bound, the client gets `event: lagging` and is
 * closed, so a slow client never slows the fan-out to others.
 */
import type { ServerResponse } from 'node:http';

export class SseStream {
  private closed = false;
  private readonly closeHandlers: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly maxBufferBytes: number,
  ) {
    res.on('close', () => this.markClosed());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  open(): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'access-control-allow-origin': '*',
    });
    this.res.flushHeaders();
  }

  /** Sends one event; `data` is one line of JSON (exactJson never writes a raw newline). */
  send(event: string, data: string, id?: string, bounded = true): void {
    if (this.closed) return;
    this.res.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`);
    if (bounded && this.res.writableLength > this.maxBufferBytes) this.end('lagging', '{}');
  }

  comment(text: string): void {
    if (!this.closed) this.res.write(`: ${text}\n\n`);
  }

  /** Sends a last event and closes. */
  end(event: string, data: string): void {
    if (this.closed) return;
    this.res.end(`event: ${event}\ndata: ${data}\n\n`);
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const handler of this.closeHandlers.splice(0)) handler();
  }
}
