import { backoffDelay, describeError, type Row } from '@distributary/core';
import type { Logger } from '@distributary/observability';
import { esMetrics } from '../metrics';
import type { FanOutStore, PendingPass } from './fan-out-store';

export interface FanOutDrainerOptions {
  sink: string;
  store: FanOutStore;
  /** This process's identity for the drainer lock. */
  owner: string;
  logger: Logger;
  /** Runs one pass; `progress` stores the cursor and says whether to go on, `reindexed` counts the
   *  roots of each written page. True when finished. */
  runPass(
    pass: PendingPass,
    progress: (after: Row) => Promise<boolean>,
    reindexed: (roots: number) => Promise<void>,
  ): Promise<boolean>;
  /** How often an idle drainer looks for passes marked by other processes (default 500 ms). */
  pollMs?: number;
  /** The drainer lock's TTL, renewed after every page (default 30 s). */
  lockTtlMs?: number;
  /** True while the sink is paused (`distributary pause`): no pass runs, a running one stops after its page. */
  isPaused?: () => Promise<boolean>;
}

/**
 * Drains one sink's durable fan-out queue (fan-out-store.ts) in the background: one drainer per sink
 * among all worker processes (a lock in Redis), oldest pass first, one page at a time. A change marked
 * while a pass runs is coalesced into the next pass of that condition. stop() lets the page in flight
 * finish (its cursor is stored) and returns; the next drainer resumes there, so a kill -9 at any point
 * loses no pass (at most one page is written again, and strict versions make that a no-op).
 */
export class FanOutDrainer {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly options: FanOutDrainerOptions) {}

  start(): void {
    this.stopped = false;
    this.loop ??= this.run().finally(() => (this.loop = undefined));
  }

  /** Something was marked in this process: look now rather than at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    await this.options.store.unlock(this.options.owner).catch(() => undefined);
  }

  private async idle(): Promise<void> {
    esMetrics.fanOutPassStarted.set({ sink: this.options.sink }, 0);
    await this.options.store.idle();
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    }).finally(() => (this.wakeUp = undefined));
  }

  private async run(): Promise<void> {
    const { store, owner, logger, sink } = this.options;
    const ttl = this.options.lockTtlMs ?? 30_000;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (await this.options.isPaused?.()) {
          await this.pause(this.options.pollMs ?? 500);
          continue;
        }
        const passes = (await store.lock(owner, ttl)) ? await store.pending(8) : [];
        esMetrics.fanOutPending.set({ sink }, passes.length === 0 ? 0 : await store.size());
        if (passes.length === 0) {
          await this.pause(this.options.pollMs ?? 500);
          continue;
        }
        for (const pass of passes) {
          if (this.stopped) break;
          await store.started(pass.member);
          esMetrics.fanOutPassStarted.set({ sink }, Date.now() / 1000);
          const finished = await this.options.runPass(
            pass,
            async (after) => {
              await store.progress(pass.member, pass.version, after);
              if (this.stopped || (await this.options.isPaused?.())) return false;
              return store.lock(owner, ttl);
            },
            async (roots) => {
              esMetrics.fanOutRoots.inc({ sink }, roots);
              await store.counted(roots);
            },
          );
          if (!finished) break;
          const forgotten = await store.complete(pass.member, pass.version);
          esMetrics.fanOutPasses.inc({ sink, outcome: forgotten ? 'done' : 'superseded' });
        }
        await this.idle();
        failures = 0;
      } catch (error) {
        await this.idle().catch(() => undefined);
        failures++;
        esMetrics.fanOutPasses.inc({ sink, outcome: 'failed' });
        logger.warn({ err: error, attempt: failures }, `fan-out pass failed; retrying: ${describeError(error)}`);
        await this.pause(backoffDelay(failures, { baseMs: 200, capMs: 10_000 }));
      }
    }
  }
}
