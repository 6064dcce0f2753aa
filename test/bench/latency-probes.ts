/**
 * Figure 5's probes: for a sample of committed rows, when each one reached each stage on its way to
 * Elasticsearch — all observed from outside the pipeline, so the pipeline runs unchanged:
 *
 *   committed  the INSERT's COMMIT returned to the load generator
 *   logged     the row's event is in the change log (a blocking XREAD over every partition)
 *   sent       the first bulk request carrying the document left the worker (seen by a pass-through proxy)
 *   answered   Elasticsearch's answer to the last request carrying it reached the proxy (a re-sent
 *              document — an item the worker retried — takes the later answer)
 *   visible    a realtime multi-GET by id found the document (one _mget for every probe sent and not
 *              yet found, every POLL_MS: the probes never add load that grows with the latency they
 *              measure; a document cannot be found before a request carrying it passed the proxy, so
 *              probes not yet sent are not asked for)
 *
 * READABLE = min(answered, visible): the earliest moment the document is known to be readable. Both
 * are upper bounds: once Elasticsearch acknowledged the write, a realtime GET finds it (it reads the
 * version map / translog, not the refreshed searcher), and a found _mget proves it. The poll alone
 * adds its own round trip (under load tens of ms) and often lands before the answer (Elasticsearch
 * indexes a request's documents one by one and answers after the whole request and its translog
 * sync), so `answered → visible` was no stage: it was negative for half the probes.
 */
import { Agent, request } from 'node:http';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import type { ConnectionObserver } from '@distributary/testkit';

export const POLL_MS = 5;
export const SLOW_REQUEST_MS = 300;

export interface ProbeTimes {
  committed?: number;
  logged?: number;
  sent?: number;
  answered?: number;
  visible?: number;
}

const STAGES = ['committed', 'logged', 'sent', 'answered', 'visible'] as const;
export type Stage = (typeof STAGES)[number];

/** When the document was known readable: the earlier of Elasticsearch's answer and a found _mget. */
export function readableAt(t: ProbeTimes): number | undefined {
  if (t.visible === undefined) return undefined;
  return t.answered === undefined ? t.visible : Math.min(t.answered, t.visible);
}

export class ProbeTracker {
  readonly probes = new Map<number, ProbeTimes>();
  /** Bulk requests answered and the documents they carried (every document, not only probes). */
  readonly bulk = { requests: 0, docs: 0 };
  /** Bulk requests answered more than SLOW_REQUEST_MS after their first byte was sent, and the slowest. */
  readonly slow = { requests: 0, maxMs: 0 };
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
    if ((stage === 'committed' || stage === 'sent') && times.visible === undefined) this.pendingVisible.add(id);
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
    let docs = 0;
    let tail = '';
    const marker = '"_id":"';
    let firstByteAt = 0;
    return {
      request: (chunk, at) => {
        if (open === undefined) firstByteAt = at;
        open ??= [];
        const text = tail + chunk.toString('latin1');
        let i = text.indexOf(marker);
        while (i >= 0) {
          const end = text.indexOf('"', i + marker.length);
          if (end < 0) break;
          const id = Number(text.slice(i + marker.length, end));
          docs++;
          if (this.isProbe(id)) {
            this.mark(id, 'sent', at);
            // sent again (a retried item): only the answer to this later request says it was written
            const times = this.probes.get(id);
            if (times) times.answered = undefined;
            open.push(id);
          }
          i = text.indexOf(marker, end);
        }
        tail = text.slice(-32);
      },
      response: (at) => {
        if (open !== undefined && at - firstByteAt > SLOW_REQUEST_MS) {
          this.slow.requests++;
          this.slow.maxMs = Math.max(this.slow.maxMs, at - firstByteAt);
        }
        for (const id of open ?? []) this.mark(id, 'answered', at);
        if (docs > 0) {
          this.bulk.requests++;
          this.bulk.docs += docs;
        }
        docs = 0;
        open = undefined;
        tail = '';
      },
    };
  }

  /**
   * Polls visibility of every probe sent and not yet found with one realtime _mget per round, over a
   * kept-alive node:http connection (fetch() cost this process ~4x the CPU per call: measurement load
   * on the cores the pipeline shares).
   */
  pollVisible(): void {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    this.loops.push(
      (async () => {
        while (!this.stopped) {
          const ids: string[] = [];
          for (const id of this.pendingVisible) if (this.probes.get(id)?.sent !== undefined) ids.push(String(id));
          if (ids.length > 0) {
            const text = await postJson(agent, `${this.docsUrl}/_mget?realtime=true&_source=false`, { ids });
            const at = performance.now();
            const body = JSON.parse(text) as { docs?: { _id: string; found?: boolean }[] };
            for (const doc of body.docs ?? []) {
              if (!doc.found) continue;
              const id = Number(doc._id);
              this.pendingVisible.delete(id);
              this.mark(id, 'visible', at);
            }
          }
          await new Promise((done) => setTimeout(done, POLL_MS));
        }
        agent.destroy();
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

/** POSTs a JSON body and resolves with the answer's text (any status: the caller reads what it needs). */
function postJson(agent: Agent, url: string, payload: unknown): Promise<string> {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Time from commit to readable of every probe that became visible (ms). */
export function latencies(probes: Iterable<ProbeTimes>): number[] {
  const out: number[] = [];
  for (const t of probes) {
    const readable = readableAt(t);
    if (t.committed !== undefined && readable !== undefined) out.push(readable - t.committed);
  }
  return out;
}

/**
 * Where the time went, per probe (ms): commit → in the log → bulk sent → readable add up to the
 * latency; `sent → answered` (Elasticsearch's whole request) and `answered → visible` (the poll's
 * lag behind the answer, negative when the poll saw the document first) are shown beside them.
 */
export function stageDurations(probes: ProbeTimes[]): {
  path: Record<string, number[]>;
  beside: Record<string, number[]>;
} {
  const all = probes as Required<ProbeTimes>[];
  const span = (from: (t: Required<ProbeTimes>) => number, to: (t: Required<ProbeTimes>) => number): number[] =>
    all.map((t) => to(t) - from(t));
  const readable = (t: Required<ProbeTimes>): number => readableAt(t) as number;
  return {
    path: {
      'committed → logged': span(
        (t) => t.committed,
        (t) => t.logged,
      ),
      'logged → sent': span(
        (t) => t.logged,
        (t) => t.sent,
      ),
      'sent → readable': span((t) => t.sent, readable),
    },
    beside: {
      'sent → answered': span(
        (t) => t.sent,
        (t) => t.answered,
      ),
      'answered → visible': span(
        (t) => t.answered,
        (t) => t.visible,
      ),
    },
  };
}
