/**
 * Samples Elasticsearch's `write` thread pool (threads busy, bulk shard requests queued) during a window:
 * when its threads (one per core) are all busy and requests queue, the cores Elasticsearch runs on bound
 * the step, not the workers. Sampled every SAMPLE_MS (a `_cat` call each; small beside the bulk traffic).
 */
const SAMPLE_MS = 250;

export interface WritePoolLoad {
  /** Threads in the pool. */
  size: number;
  /** Mean threads busy and mean requests queued over the samples. */
  active: number;
  queue: number;
  /** Share of samples with every thread busy (%). */
  saturatedPct: number;
  samples: number;
}

interface CatRow {
  active: string;
  queue: string;
  size: string;
}

export class WritePoolSampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly rows: { active: number; queue: number; size: number }[] = [];
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly esUrl: string) {}

  start(): void {
    this.timer = setInterval(() => {
      this.pending = this.sample();
    }, SAMPLE_MS);
  }

  async stop(): Promise<WritePoolLoad | undefined> {
    if (this.timer) clearInterval(this.timer);
    await this.pending;
    if (this.rows.length === 0) return undefined;
    const mean = (pick: (r: (typeof this.rows)[number]) => number): number =>
      Math.round((this.rows.reduce((sum, r) => sum + pick(r), 0) / this.rows.length) * 100) / 100;
    const size = Math.max(...this.rows.map((r) => r.size));
    return {
      size,
      active: mean((r) => r.active),
      queue: mean((r) => r.queue),
      saturatedPct: Math.round((this.rows.filter((r) => r.active >= r.size).length / this.rows.length) * 1000) / 10,
      samples: this.rows.length,
    };
  }

  private async sample(): Promise<void> {
    try {
      const reply = await fetch(`${this.esUrl}/_cat/thread_pool/write?h=active,queue,size&format=json`);
      for (const row of (await reply.json()) as CatRow[])
        this.rows.push({ active: Number(row.active), queue: Number(row.queue), size: Number(row.size) });
    } catch {
      // a missed sample only makes the mean rest on fewer samples
    }
  }
}

export function describeWritePool(load: WritePoolLoad): string {
  return (
    `Elasticsearch write pool: ${load.size} threads, ${load.active} busy and ${load.queue} requests queued on ` +
    `average, all threads busy in ${load.saturatedPct} % of ${load.samples} samples`
  );
}
