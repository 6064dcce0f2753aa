import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { ConnectionObserver } from '@distributary/testkit';

/**
 * What one bulk round trip is made of, seen from the latency proxy: per connection, a request's first
 * byte reaching the proxy → Elasticsearch's first reply byte (Elasticsearch's own time, queueing for
 * its write threads included); and how late the proxy's delay timers fire (this process's event-loop
 * delay). The rest of a worker's interval between requests is the worker's own turnaround.
 */
const LOOP_RESOLUTION_MS = 10;
const BULK_LINE = 'POST /_bulk';

export class RoundTrips {
  private serviceMs = 0;
  private answered = 0;
  /** Bulk requests leaving and replies reaching the workers in the window, by the connection's client port. */
  private events: { port: number; at: number; reply: boolean }[] = [];
  private timing = false;
  /** Connections opened to the proxy so far. */
  connections = 0;
  /** Other requests (target discovery, searches) answered in the window. */
  private others = 0;

  /** `delayMs`: the proxy's delay of each reply (a reply reaches the worker that much after Elasticsearch's). */
  constructor(private readonly delayMs = 0) {}
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

  observer(client?: Socket): ConnectionObserver {
    let sentAt: number | undefined;
    let bulk = false;
    const port = client?.remotePort ?? 0;
    this.connections++;
    return {
      request: (chunk, at) => {
        if (sentAt !== undefined) return;
        sentAt = at;
        // only bulk requests: target discovery and searches share the proxy on other connections
        bulk = chunk.subarray(0, BULK_LINE.length).toString('latin1') === BULK_LINE;
        if (bulk && this.timing) this.events.push({ port, at, reply: false });
      },
      response: (at) => {
        if (sentAt === undefined) return;
        if (bulk && this.timing) {
          this.serviceMs += at - sentAt;
          this.answered++;
          // the reply reaches the worker delayMs later (the proxy timers' lateness aside)
          this.events.push({ port, at: at + this.delayMs, reply: true });
        } else if (this.timing) this.others++;
        sentAt = undefined;
      },
    };
  }

  /**
   * Per worker (`ownerOf`: a connection's client port → its worker), the gaps between a bulk reply
   * reaching it and its next bulk request on any of its connections: its turnaround (one request in
   * flight per worker). Connections of no known worker are left out.
   */
  turnarounds(ownerOf: Map<number, number>): { perWorker: ReplyGap[]; unmapped: number } {
    const byWorker = new Map<number, number[]>();
    const repliedAt = new Map<number, number>();
    let unmapped = 0;
    for (const event of [...this.events].sort((a, b) => a.at - b.at)) {
      const worker = ownerOf.get(event.port);
      if (worker === undefined) {
        unmapped++;
        continue;
      }
      if (event.reply) {
        repliedAt.set(worker, event.at);
        continue;
      }
      const replied = repliedAt.get(worker);
      if (replied === undefined) continue;
      repliedAt.delete(worker);
      const gaps = byWorker.get(worker) ?? [];
      gaps.push(Math.max(0, event.at - replied));
      byWorker.set(worker, gaps);
    }
    return { perWorker: [...byWorker.values()].map(replyGap), unmapped };
  }

  /** Starts a window (resets the sums). */
  begin(): void {
    this.serviceMs = 0;
    this.answered = 0;
    this.events = [];
    this.timing = true;
    this.others = 0;
    this.loopDelay.reset();
    this.loopDelay.enable();
  }

  /** Mean Elasticsearch time per request and the proxy's mean timer lateness (ms) since begin(). */
  end(): { elasticsearchMs: number; proxyLateMs: number; requests: number; others: number } {
    this.timing = false;
    this.loopDelay.disable();
    // the histogram's samples are whole timer intervals: the resolution itself is not lateness
    const late = Number.isNaN(this.loopDelay.mean) ? 0 : Math.max(0, this.loopDelay.mean / 1e6 - LOOP_RESOLUTION_MS);
    return {
      elasticsearchMs: this.answered > 0 ? Math.round((this.serviceMs / this.answered) * 10) / 10 : 0,
      proxyLateMs: Math.round(late * 10) / 10,
      requests: this.answered,
      others: this.others,
    };
  }
}

/** The worker's gaps between a reply reaching it and its next request on that connection (ms). */
export interface ReplyGap {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

function replyGap(gaps: number[]): ReplyGap {
  const sorted = [...gaps].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10 : 0;
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
  return {
    count: sorted.length,
    meanMs: Math.round(mean * 10) / 10,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: at(1),
  };
}
