import { backoffDelay, describeError, type Row } from '@distributary/core';
import type { Logger } from '@distributary/observability';
import { esMetrics } from '../metrics';
import type { FanOutChunks, FanOutChunk } from './fan-out-chunks';
import type { FanOutStore, PassCursor, PendingPass } from './fan-out-store';

export interface FanOutDrainerOptions {
  sink: string;
  store: FanOutStore;
  chunks: FanOutChunks;
  /** This process's identity for the drainer lock. */
  owner: string;
  logger: Logger;
  /** Plans one pass (planFanOutPass): `list` stores a page of chunks and the cursor, and says whether
   *  to go on. True when every root was listed. */
  planPass(
    pass: PendingPass,
    list: (chunks: Row[][], cursor: Omit<PassCursor, 'version'>) => Promise<boolean>,
  ): Promise<boolean>;
  /** Writes one chunk (writeFanOutChunk); the roots it handled. */
  writeChunk(chunk: FanOutChunk): Promise<number>;
  /** How often an idle drainer looks for passes marked by other processes (default 500 ms). */
  pollMs?: number;
  /** The drainer lock's TTL, renewed after every page, and how long a chunk stays claimed (default 30 s). */
  lockTtlMs?: number;
  /** Chunks listed and not yet written, at most (default 64): the planner waits for room. */
  maxChunks?: number;
  /** Chunks this process writes at once (default 2: the next chunk is read while one is written). */
  chunksInFlight?: number;
  /** True while the sink is paused (`distributary pause`): no pass runs, a running one stops after its page. */
  isPaused?: () => Promise<boolean>;
}

/** While a pass is pending but no chunk is free, a worker looks again this often (ms). */
const BUSY_POLL_MS = 50;

/**
 * Drains one sink's durable fan-out queue (fan-out-store.ts) in the background, in every worker
 * process. The holder of the sink's drainer lock (in Redis) plans the passes, oldest first: it lists
 * each pass's roots as chunks (fan-out-chunks.ts), a page at a time, and completes the pass once every
 * chunk was written. Every drainer (the planner's included) claims chunks and writes them, so one
 * pass's chunks are written by several workers at once, alongside their partitions; each process has
 * up to `chunksInFlight` chunks at once, so it reads the next chunk's rows while one is being written
 * (memory: that many chunks). A change marked while a pass runs is coalesced into the next pass
 * of that condition. stop() lets the page and the chunk in flight finish and returns; a kill -9 at any
 * point loses no pass: the next planner resumes at the stored cursor, and a killed worker's claimed
 * chunk is claimed again once its claim ran out (strict versions make the roots already written a no-op).
 */
export class FanOutDrainer {
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly options: FanOutDrainerOptions) {}

  start(): void {
    this.stopped = false;
    if (this.loops.length > 0) return;
    const writers = Array.from({ length: Math.max(1, this.options.chunksInFlight ?? 2) }, () =>
      this.loop(() => this.work()),
    );
    this.loops = [this.loop(() => this.plan()), ...writers];
  }

  /** Something was marked or written in this process: look now rather than at the next poll. */
  wake(): void {
    for (const wakeUp of [...this.sleepers]) wakeUp();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await Promise.all(this.loops);
    this.loops = [];
    await this.options.store.unlock(this.options.owner).catch(() => undefined);
  }

  private async idle(): Promise<void> {
    esMetrics.fanOutPassStarted.set({ sink: this.options.sink }, 0);
    await this.options.store.idle();
  }

  /** Sleeps `ms` or until woken; at once when stopping (a sleep begun after stop() woke the others). */
  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private get ttl(): number {
    return this.options.lockTtlMs ?? 30_000;
  }

  private get pollMs(): number {
    return this.options.pollMs ?? 500;
  }

  /** Runs `step` until stopped; a failed step is logged and retried with backoff. */
  private async loop(step: () => Promise<void>): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await step();
        failures = 0;
      } catch (error) {
        failures++;
        esMetrics.fanOutPasses.inc({ sink: this.options.sink, outcome: 'failed' });
        this.options.logger.warn(
          { err: error, attempt: failures },
          `fan-out pass failed; retrying: ${describeError(error)}`,
        );
        await this.pause(backoffDelay(failures, { baseMs: 200, capMs: 10_000 }));
      }
    }
  }

  /** One round of the planner: while holding the lock, plans the oldest passes and completes them. */
  private async plan(): Promise<void> {
    const { store, owner, sink } = this.options;
    if (await this.options.isPaused?.()) return this.pause(this.pollMs);
    const passes = (await store.lock(owner, this.ttl)) ? await store.pending(8) : [];
    esMetrics.fanOutPending.set({ sink }, passes.length === 0 ? 0 : await store.size());
    if (passes.length === 0) return this.pause(this.pollMs);
    try {
      const planned: PendingPass[] = [];
      for (const pass of passes) {
        if (this.stopped) break;
        await store.started(pass.member);
        esMetrics.fanOutPassStarted.set({ sink }, Date.now() / 1000);
        if (!pass.planned && !(await this.options.planPass(pass, (chunks, cursor) => this.list(pass, chunks, cursor))))
          break;
        planned.push(pass);
      }
      for (const pass of planned) {
        if (!(await this.written(pass))) break;
        const forgotten = await store.complete(pass.member, pass.version);
        esMetrics.fanOutPasses.inc({ sink, outcome: forgotten ? 'done' : 'superseded' });
      }
    } finally {
      await this.idle().catch(() => undefined); // the lock holder's running pass, shown by status
    }
  }

  /** Stores a page of chunks; then holds the planner while enough chunks wait. False: stop planning. */
  private async list(pass: PendingPass, chunks: Row[][], cursor: Omit<PassCursor, 'version'>): Promise<boolean> {
    const { store, owner } = this.options;
    await this.options.chunks.list(pass.member, pass.version, chunks, { ...cursor, version: pass.version });
    this.wake(); // this process's own worker loop
    while ((await this.options.chunks.size()) >= (this.options.maxChunks ?? 64)) {
      if (this.stopped || !(await store.lock(owner, this.ttl))) return false;
      await this.pause(BUSY_POLL_MS);
    }
    if (this.stopped || (await this.options.isPaused?.())) return false;
    return store.lock(owner, this.ttl);
  }

  /** Waits until every chunk of the planned pass was written; false when stopped or the lock was lost. */
  private async written(pass: PendingPass): Promise<boolean> {
    while ((await this.options.chunks.left(pass.member, pass.version)) > 0) {
      if (this.stopped || !(await this.options.store.lock(this.options.owner, this.ttl))) return false;
      await this.pause(BUSY_POLL_MS);
    }
    return true;
  }

  /** One round of the worker: claims a chunk of any planned pass and writes it. */
  private async work(): Promise<void> {
    const { chunks, sink, store } = this.options;
    if (await this.options.isPaused?.()) return this.pause(this.pollMs);
    const chunk = await chunks.claim(this.ttl);
    if (typeof chunk === 'number') return this.pause(chunk > 0 ? Math.min(this.pollMs, BUSY_POLL_MS) : this.pollMs);
    const roots = await this.options.writeChunk(chunk);
    await chunks.finish(chunk.id);
    esMetrics.fanOutRoots.inc({ sink }, roots);
    await store.counted(roots);
    this.wake(); // the planner waiting for room or for its pass's last chunk
  }
}
