/**
 * Figure 5's probes: for a sample of committed rows, when each one reached each stage on its way to
 * Elasticsearch — all observed from outside the pipeline, so the pipeline runs unchanged:
 *
 *   committed  the INSERT's COMMIT returned to the load generator
 *   logged     the row's event is in the change log (a blocking XREAD over every partition)
 *   sent       a bulk request carrying the document left the worker (seen by a pass-through proxy)
 *   answered   Elasticsearch's answer to that request reached the proxy
 *   visible    a realtime multi-GET by id found the document (one _mget for every probe pending,
 *              every POLL_MS: the probes never add load that grows with the latency they measure)
 */
import type { LogKeys, RedisClient } from '@distributary/changelog';
import type { ConnectionObserver } from '@distributary/testkit';

export const POLL_MS = 5;

export interface ProbeTimes {
  committed?: number;
  logged?: number;
  sent?: number;
  answered?: number;
  visible?: number;
}

const STAGES = ['committed', 'logged', 'sent', 'answered', 'visible'] as const;
export type Stage = (typeof STAGES)[number];

export class ProbeTracker {
  readonly probes = new Map<number, ProbeTimes>();
  private readonly pendingVisible = new Set<number>();
  private stopped = false;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly isProbe: (id: number) => boolean,
    private readonly docsUrl: string,
  ) {}

  private times(id: number): ProbeTimes {
    let times = this.probes.get(id);
    if (!times) this.probes.set(id, (times = {}));
    return times;
  }

  /** Marks a stage once (the first time it is seen). */
  mark(id: number, stage: Stage, at = performance.now()): void {
    if (!this.isProbe(id)) return;
    const times = this.times(id);
    times[stage] ??= at;
    if (stage === 'committed' && times.visible === undefined) this.pendingVisible.add(id);
  }

  /** Watches every partition of the log for probe rows (a connection of its own: it blocks). */
  watchLog(reader: RedisClient, keys: LogKeys, partitions: number): void {
    const streams = Array.from({ length: partitions }, (_, p) => keys.partition(p));
    const cursors = streams.map(() => '$');
    this.loops.push(
      (async () => {
        while (!this.stopped) {
          const reply = (await reader.xread('COUNT', 5000, 'BLOCK', 100, 'STREAMS', ...streams, ...cursors)) as
            [string, [string, string[]][]][] | null;
          const at = performance.now();
          for (const [stream, entries] of reply ?? []) {
            const p = streams.indexOf(stream);
            for (const [entryId, fields] of entries) {
              cursors[p] = entryId;
              const e = fields[fields.indexOf('e') + 1];
              const key = (JSON.parse(e) as { key?: { id?: number } }).key;
              if (key?.id !== undefined) this.mark(Number(key.id), 'logged', at);
            }
          }
        }
      })(),
    );
  }

  /** The proxy's view of the worker's bulk requests: the probe IDs in a request and when it was answered. */
  bulkObserver(): ConnectionObserver {
    let open: number[] | undefined;
    let tail = '';
    const marker = '"_id":"';
    return {
      request: (chunk, at) => {
        open ??= [];
        const text = tail + chunk.toString('latin1');
        let i = text.indexOf(marker);
        while (i >= 0) {
          const end = text.indexOf('"', i + marker.length);
          if (end < 0) break;
          const id = Number(text.slice(i + marker.length, end));
          if (this.isProbe(id)) {
            this.mark(id, 'sent', at);
            open.push(id);
          }
          i = text.indexOf(marker, end);
        }
        tail = text.slice(-32);
      },
      response: (at) => {
        for (const id of open ?? []) this.mark(id, 'answered', at);
        open = undefined;
        tail = '';
      },
    };
  }

  /** Polls visibility of every pending probe with one realtime _mget per round. */
  pollVisible(): void {
    this.loops.push(
      (async () => {
        while (!this.stopped) {
          const ids = [...this.pendingVisible];
          if (ids.length > 0) {
            const response = await fetch(`${this.docsUrl}/_mget?realtime=true&_source=false`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ ids: ids.map(String) }),
            });
            const at = performance.now();
            const body = (await response.json()) as { docs?: { _id: string; found?: boolean }[] };
            for (const doc of body.docs ?? []) {
              if (!doc.found) continue;
              const id = Number(doc._id);
              this.pendingVisible.delete(id);
              this.mark(id, 'visible', at);
            }
          }
          await new Promise((done) => setTimeout(done, POLL_MS));
        }
      })(),
    );
  }

  /** Waits until every committed probe is visible (or `timeoutMs` passed). */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingVisible.size > 0 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 20));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled(this.loops);
  }

  /** Probes whose every stage was seen, as [stage time − committed] in ms. */
  complete(ids: Iterable<number>): ProbeTimes[] {
    const out: ProbeTimes[] = [];
    for (const id of ids) {
      const t = this.probes.get(id);
      if (!t || STAGES.some((s) => t[s] === undefined)) continue;
      out.push(t);
    }
    return out;
  }
}

/** Time from commit to visible of every probe that became visible (ms). */
export function latencies(probes: Iterable<ProbeTimes>): number[] {
  const out: number[] = [];
  for (const t of probes) if (t.committed !== undefined && t.visible !== undefined) out.push(t.visible - t.committed);
  return out;
}

/** Per-stage durations: each stage's time minus the previous stage's (ms). */
export function stageDurations(probes: ProbeTimes[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (let s = 1; s < STAGES.length; s++) {
    const label = `${STAGES[s - 1]} → ${STAGES[s]}`;
    out[label] = probes.map((t) => (t[STAGES[s]] as number) - (t[STAGES[s - 1]] as number));
  }
  return out;
}
