import type { ChangeEvent, Lsn } from '@distributary/core';
import type { InitialSnapshotStore } from './snapshot-store';

/** A chunk's events before they get their position. */
export type UnpositionedEvent = Omit<ChangeEvent, 'pos'> & { pos?: ChangeEvent['pos'] };

export interface AppendQueueOptions {
  lsn: Lsn;
  /** The first seq to give. */
  seq: number;
  /** Server text held (read, not yet in the log) before room() waits. */
  maxBytes: number;
  /**
   * Appends issued before the previous one resolved (1 = one at a time). Above 1 only with an append
   * whose calls reach the log in call order and of which a later call never lands after an earlier
   * failed one (the connector's, on an AppendChain).
   */
  depth: number;
  append(events: ChangeEvent[]): Promise<void>;
  record: InitialSnapshotStore;
}

/**
 * The one ordered way into the log for the chunks that several readers produce in parallel.
 * - Appends are issued in enqueue order, at most `depth` not yet recorded at a time (so a crash leaves
 *   at most that many chunks in the log that a resume reads again); each chunk's rows get (lsn, seq…)
 *   when its append is issued, so IDs grow in every partition whatever reader produced the chunk.
 * - A chunk's progress (the seq counter and the fields the caller gives) is written only after its
 *   own append and every earlier one resolved, i.e. are durable, and strictly in enqueue order: the
 *   record never covers rows that are not in the log.
 * - After a failure nothing more is issued nor recorded; room() and drained() reject with it.
 * - Memory: readers call room() before reading a chunk; it waits while the chunks read and not yet in
 *   the log hold more than maxBytes of server text (so at most that plus one chunk per reader).
 */
export class SnapshotAppendQueue {
  private issuing: Promise<unknown> = Promise.resolve();
  private recording: Promise<void> = Promise.resolve();
  private held = 0;
  private inFlight = 0;
  private seq: number;
  private failure: { error: unknown } | undefined;
  private waiters: (() => void)[] = [];

  constructor(private readonly options: AppendQueueOptions) {
    this.seq = options.seq;
  }

  /** The next free seq (what the record holds once everything enqueued is in). */
  get nextSeq(): number {
    return this.seq;
  }

  /** Stops the queue (a reader failed): nothing more is issued nor recorded. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.wake();
  }

  /** Resolves once fewer than maxBytes are held; rejects once the queue failed. */
  async room(): Promise<void> {
    await this.until(() => this.held < this.options.maxBytes);
  }

  /**
   * Appends `events` after everything enqueued before, then writes `progress(nextSeq)` and calls
   * `recorded`. The events' `pos` is set in place. A failure surfaces through room() and drained().
   */
  enqueue(
    events: UnpositionedEvent[],
    bytes: number,
    progress: (nextSeq: number) => Record<string, string | number>,
    recorded?: () => void,
  ): void {
    this.held += bytes;
    const issued = this.issuing.then(async () => {
      await this.until(() => this.inFlight < this.options.depth);
      for (const event of events) event.pos = { lsn: this.options.lsn, seq: this.seq++ };
      this.inFlight++;
      const seqAfter = this.seq;
      // Called synchronously here, in enqueue order; only its result is awaited later.
      const appended = this.options.append(events as ChangeEvent[]).catch((error: unknown) => {
        this.fail(error); // at once: nothing after a failed append is issued
        throw error;
      });
      appended.catch(() => undefined); // awaited by the recording step below
      return { appended, seqAfter };
    });
    this.issuing = issued.catch(() => undefined);
    this.recording = this.recording
      .then(async () => {
        const { appended, seqAfter } = await issued;
        await appended;
        if (this.failure) throw this.failure.error;
        await this.options.record.write(progress(seqAfter));
        recorded?.();
      })
      .then(
        () => this.release(bytes),
        (error: unknown) => {
          this.fail(error);
          this.release(bytes);
        },
      );
  }

  /** Resolves when everything enqueued so far is appended and recorded; rejects with the first failure. */
  async drained(): Promise<void> {
    await this.issuing;
    await this.recording;
    if (this.failure) throw this.failure.error;
  }

  private async until(ready: () => boolean): Promise<void> {
    while (!this.failure && !ready()) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure.error;
  }

  /** A chunk is recorded (or failed): its bytes and its place among the appends in flight are free
   *  (after a failure the count no longer matters: nothing more is issued). */
  private release(bytes: number): void {
    this.held -= bytes;
    this.inFlight--;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
