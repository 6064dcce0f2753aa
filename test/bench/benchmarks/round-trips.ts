import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { ConnectionObserver } from '@distributary/testkit';

/**
 * What one bulk round trip is made of, seen from the latency proxy: per connection, a request's first
 * byte reaching the proxy → Elasticsearch's first reply byte (Elasticsearch's own time, queueing for
 * its write threads included); and how late the proxy's delay timers fire (this process's event-loop
 * delay). The rest of a worker's interval between requests is the worker's own turnaround.
 */
const LOOP_RESOLUTION_MS = 10;

export class RoundTrips {
  private serviceMs = 0;
  private answered = 0;
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

  observer(): ConnectionObserver {
    let sentAt: number | undefined;
    return {
      request: (_chunk, at) => {
        sentAt ??= at;
      },
      response: (at) => {
        if (sentAt === undefined) return;
        this.serviceMs += at - sentAt;
        this.answered++;
        sentAt = undefined;
      },
    };
  }

  /** Starts a window (resets the sums). */
  begin(): void {
    this.serviceMs = 0;
    this.answered = 0;
    this.loopDelay.reset();
    this.loopDelay.enable();
  }

  /** Mean Elasticsearch time per request and the proxy's mean timer lateness (ms) since begin(). */
  end(): { elasticsearchMs: number; proxyLateMs: number; requests: number } {
    this.loopDelay.disable();
    // the histogram's samples are whole timer intervals: the resolution itself is not lateness
    const late = Number.isNaN(this.loopDelay.mean) ? 0 : Math.max(0, this.loopDelay.mean / 1e6 - LOOP_RESOLUTION_MS);
    return {
      elasticsearchMs: this.answered > 0 ? Math.round((this.serviceMs / this.answered) * 10) / 10 : 0,
      proxyLateMs: Math.round(late * 10) / 10,
      requests: this.answered,
    };
  }
}
