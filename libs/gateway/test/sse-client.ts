/** Test support: a minimal SSE client over node:http that records every event and comment. */
import { request, type IncomingMessage } from 'node:http';
import { waitFor } from '@distributary/testkit';

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  ended = false;
  status = 0;
  body = '';
  private response: IncomingMessage | undefined;
  private buffer = '';

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    await new Promise<void>((resolve, reject) => {
      const req = request(url, { headers }, (res) => {
        client.response = res;
        client.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.receive(chunk));
        res.on('end', () => (client.ended = true));
        res.on('close', () => (client.ended = true));
        resolve();
      });
      req.on('error', reject);
      req.end();
    });
    return client;
  }

  private receive(chunk: string): void {
    if (this.status !== 200) {
      this.body += chunk;
      return;
    }
    this.buffer += chunk;
    let end = this.buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { event: 'message', data: '' };
      let comment = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comment = true;
        else if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) event.data = line.slice(6);
      }
      if (comment) this.comments++;
      else this.events.push(event);
      end = this.buffer.indexOf('\n\n');
    }
  }

  /** Waits until an event named `name` has arrived (the `n`-th one) and returns its index. */
  async waitForEvent(name: string, n = 1, timeoutMs = 30_000): Promise<number> {
    return waitFor(
      `event "${name}" #${n}`,
      async () => {
        let seen = 0;
        for (let i = 0; i < this.events.length; i++) if (this.events[i].event === name && ++seen === n) return i + 1;
        return undefined;
      },
      { timeoutMs, intervalMs: 20 },
    ).then((i) => i - 1);
  }

  lastId(): string | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) if (this.events[i].id) return this.events[i].id;
    return undefined;
  }

  /** Stops reading (the server's send buffer fills) / reads again. */
  pause(): void {
    this.response?.pause();
  }

  resume(): void {
    this.response?.resume();
  }

  close(): void {
    this.response?.destroy();
  }
}

/** A change (as opposed to an initial-state row): it carries its commit LSN. */
export function isChange(event: SseEvent): boolean {
  return (
    (event.event === 'insert' || event.event === 'update' || event.event === 'delete') && event.data.includes('"lsn":')
  );
}

/** A client's materialized copy: rows by key, from insert/update/delete events. */
export class Materialized {
  readonly rows = new Map<string, Record<string, unknown>>();

  apply(events: SseEvent[]): void {
    for (const { event, data } of events) {
      if (event === 'reset') this.rows.clear();
      if (event !== 'insert' && event !== 'update' && event !== 'delete') continue;
      const parsed = JSON.parse(data) as { key: Record<string, unknown>; row?: Record<string, unknown> };
      const key = JSON.stringify(parsed.key);
      if (event === 'delete') this.rows.delete(key);
      else this.rows.set(key, parsed.row as Record<string, unknown>);
    }
  }

  /** The rows ordered by their numeric `id` column. */
  byId(): Record<string, unknown>[] {
    return [...this.rows.values()].sort((a, b) => (a.id as number) - (b.id as number));
  }
}
