/** One client's Server-Sent Events stream. Writes never wait; the subscriber bounds what is unsent. */
import type { ServerResponse } from 'node:http';

export class SseStream {
  private closed = false;
  private corked = false;
  /** The last event the gateway ended the stream with (undefined: the client went away). */
  endedWith: string | undefined;
  private readonly closeHandlers: (() => void)[] = [];

  constructor(private readonly res: ServerResponse) {
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

  /** Sends one event; `data` is one line of JSON (exactJson never writes a raw newline). Never waits. */
  send(event: string, data: string, id?: string): void {
    if (this.closed) return;
    this.cork();
    this.res.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`);
  }

  /** Events written in one turn of the event loop leave in one socket write (a syscall per event per client was the top cost). */
  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.res.cork();
    // After the microtasks too: a drain applies its queued transactions across awaits.
    setImmediate(() => {
      this.corked = false;
      this.res.uncork();
    });
  }

  /** Bytes written that the socket has not taken yet. */
  get unsent(): number {
    return this.res.writableLength;
  }

  /** Resolves when the socket has taken what was written (or the stream closed). */
  drained(): Promise<void> {
    if (this.closed || this.res.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        resolve();
      };
      this.res.once('drain', done);
      this.onClose(done);
    });
  }

  comment(text: string): void {
    if (!this.closed) this.res.write(`: ${text}\n\n`);
  }

  /** Sends a last event and closes. */
  end(event: string, data: string): void {
    if (this.closed) return;
    this.endedWith = event;
    this.res.end(`event: ${event}\ndata: ${data}\n\n`);
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const handler of this.closeHandlers.splice(0)) handler();
  }
}
