import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import type { BulkResponse } from '@elastic/elasticsearch/lib/api/types';
import { RetryableError } from '@distributary/core';
import type { Logger } from '@distributary/observability';
import { esMetrics } from '../metrics';
import { opBodyAndBytes, opKey, type BulkOp, type BulkOutcome } from './bulk-op';
import { WriteQueue, type Pending } from './write-queue';

/** How requests are built (count, bytes, linger), how many fly at once, and each one's timeout. */
export interface BulkWriterOptions {
  sink: string;
  maxDocs: number;
  maxBytes: number;
  lingerMs: number;
  concurrency: number;
  timeoutMs: number;
  /** Requests that leave as soon as a write is ready, whatever their size (default EAGER_SLOTS). */
  eagerSlots?: number;
}

/** See BulkWriter: up to this many requests leave at once however small; beyond, only full ones. */
const EAGER_SLOTS = 2;

const RETRYABLE_STATUS = (status: number): boolean => status === 429 || status >= 500;

/** What the writer reads of a bulk answer: per item (in request order) its status and error. */
const RESPONSE_FIELDS = 'items.*.status,items.*.error.type,items.*.error.reason';

export function isRetryableRequestError(error: unknown): boolean {
  if (error instanceof errors.ResponseError) return RETRYABLE_STATUS(error.statusCode ?? 0);
  return (
    error instanceof errors.ConnectionError ||
    error instanceof errors.TimeoutError ||
    error instanceof errors.NoLivingConnectionsError
  );
}

/**
 * Batches versioned writes into bulk requests (by count, bytes and linger) with several requests in
 * flight. WHEN A REQUEST LEAVES: while fewer than `eagerSlots` (2) are in flight, or the ones in flight
 * carry less than a full request (maxDocs) between them, whatever is ready leaves at once, however
 * small (no linger: a partition's batch at a low rate never waits for a slot); beyond that a request
 * leaves only full (maxDocs or maxBytes ready), up to `concurrency`. So under a backlog requests
 * stay full instead of one per partition batch (Elasticsearch pays per request), and at low rates
 * every partition's small batch goes out at once. Order per key is kept: a key (index + id) is never in two in-flight requests; a later write
 * of a key waits (WriteQueue: an index per key, no rescans) until that request finishes. Each write
 * is serialized once, into its NDJSON lines, which are measured and sent as they are.
 *
 * Failures are classified here and retried elsewhere — ONE retry policy per write, never two nested:
 * each request is sent once. 429, 5xx and connection errors (the whole request or single items) fail
 * the writes they concern with RetryableError; the caller's loop retries, with its backoff: a live
 * batch by the worker's PartitionTask step (exponential backoff with full jitter, forever, visible as
 * `retrying`/degraded, abandoned at once on graceful stop), opening (and a rebuild on open) by the
 * worker's open loop, a fan-out pass by the fan-out drainer. A retried write is idempotent: versions
 * are external, so a document that did get through answers 409 (stale) the second time. 409 = a
 * newer or equal version is already there: stale, i.e. already applied. Other 4xx item errors:
 * rejected with the reason (dead-lettered). Any other request error is rethrown as it is (classified
 * by the caller: classifyError in core).
 */
export class BulkWriter {
  private readonly queue = new WriteQueue();
  private inFlight = 0;
  /** Writes carried by the requests in flight. */
  private docsInFlight = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingerExpired = false;
  private draining = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly client: Client,
    private readonly options: BulkWriterOptions,
    private readonly logger: Logger,
  ) {}

  /** Queues one write; resolves with its outcome once a bulk request carried it. */
  add(op: BulkOp): Promise<BulkOutcome> {
    const outcome = new Promise<BulkOutcome>((resolve, reject) => this.enqueue(op, resolve, reject));
    this.pump();
    return outcome;
  }

  /**
   * Writes every op (sending partial requests at once) and waits for all; RetryableError (the first
   * failure) if any exhausted. One promise for the whole batch, not one per write, and no closures
   * per write: each queued write settles its slot of the batch (BatchWrite).
   */
  async write(ops: BulkOp[]): Promise<BulkOutcome[]> {
    if (ops.length === 0) return [];
    const batch = new BatchOutcomes(ops.length);
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      const { body, bytes } = opBodyAndBytes(op);
      this.queue.push(new BatchWrite(opKey(op), body, bytes, op.action, batch, i));
      this.armLinger();
    }
    this.draining++;
    try {
      this.pump();
      await batch.done;
      if (batch.failure) throw batch.failure;
      return batch.outcomes;
    } finally {
      this.draining--;
    }
  }

  private enqueue(op: BulkOp, resolve: Pending['resolve'], reject: Pending['reject']): void {
    const { body, bytes } = opBodyAndBytes(op);
    this.queue.push({ key: opKey(op), body, bytes, action: op.action, resolve, reject });
    this.armLinger();
  }

  private armLinger(): void {
    if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.lingerExpired = true;
        this.pump();
      }, this.options.lingerMs);
      this.lingerTimer.unref();
    }
  }

  /** Resolves when nothing is queued or in flight. */
  async idle(): Promise<void> {
    if (this.queue.empty && this.inFlight === 0) return;
    this.draining++;
    this.pump();
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.draining--;
  }

  private ready(): boolean {
    if (this.draining > 0 || this.lingerExpired) return true;
    return this.queue.readyCount >= this.options.maxDocs || this.queue.readyBytes >= this.options.maxBytes;
  }

  /** A request may leave now (see the class doc): an eager slot, light requests in flight, or a full one. */
  private slotOpen(): boolean {
    const { maxDocs, maxBytes, eagerSlots = EAGER_SLOTS } = this.options;
    if (this.inFlight < eagerSlots || this.docsInFlight < maxDocs) return true;
    return this.queue.readyCount >= maxDocs || this.queue.readyBytes >= maxBytes;
  }

  private pump(): void {
    while (this.inFlight < this.options.concurrency && this.queue.readyCount > 0 && this.ready() && this.slotOpen()) {
      const request = this.queue.take(this.options.maxDocs, this.options.maxBytes);
      this.inFlight++;
      this.docsInFlight += request.length;
      void this.send(request).finally(() => {
        this.inFlight--;
        this.docsInFlight -= request.length;
        this.queue.finished(request);
        this.pump();
      });
    }
    if (this.queue.empty) {
      this.lingerExpired = false;
      if (this.lingerTimer) clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
      if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Sends one request, once: each write settles applied / stale / rejected, or fails (see the class doc). */
  private async send(pending: Pending[]): Promise<void> {
    const { sink } = this.options;
    const stopTimer = esMetrics.bulkSeconds.startTimer({ sink });
    let items;
    try {
      // the prebuilt NDJSON text goes out as it is (the transport serializes only objects); the answer
      // carries only each item's status and error (RESPONSE_FIELDS): Elasticsearch renders, and this
      // process parses, a few bytes per item instead of its index, id, version, seq_no and shards
      const response = await this.client.transport.request<BulkResponse>(
        {
          method: 'POST',
          path: '/_bulk',
          querystring: { filter_path: RESPONSE_FIELDS },
          bulkBody: joinBodies(pending),
        },
        { requestTimeout: this.options.timeoutMs, maxRetries: 0 },
      );
      items = response.items ?? [];
      if (items.length !== pending.length)
        throw new errors.ConnectionError(`bulk answer holds ${items.length} items for ${pending.length} writes`);
    } catch (error) {
      if (!isRetryableRequestError(error)) {
        esMetrics.errors.inc({ sink, kind: 'fatal' });
        for (const p of pending) p.reject(error as Error);
        return;
      }
      esMetrics.retries.inc({ sink, reason: error instanceof errors.ResponseError ? 'status' : 'connection' });
      this.failRetryable(pending, pending.length, (error as Error).message, error);
      return;
    } finally {
      stopTimer();
    }
    const retry: Pending[] = [];
    let lastError = '';
    items.forEach((item, i) => {
      const p = pending[i];
      const result = item.index ?? item.delete ?? Object.values(item)[0];
      const status = result?.status ?? 500;
      if (status < 300 || (status === 404 && p.action === 'delete')) {
        p.resolve({ result: 'applied' });
      } else if (status === 409) {
        p.resolve({ result: 'stale' });
      } else if (RETRYABLE_STATUS(status)) {
        lastError = `${status} ${result?.error?.type ?? ''}: ${result?.error?.reason ?? ''}`;
        retry.push(p);
      } else {
        p.resolve({
          result: 'rejected',
          error: `${status} ${result?.error?.type ?? 'error'}: ${result?.error?.reason ?? 'unknown reason'}`,
        });
      }
    });
    if (retry.length === 0) return;
    esMetrics.retries.inc({ sink, reason: 'item' }, 1);
    this.failRetryable(retry, pending.length, lastError);
  }

  /** Fails writes with RetryableError: the caller's retry policy writes them again. */
  private failRetryable(failed: Pending[], sent: number, reason: string, cause?: unknown): void {
    const { sink } = this.options;
    esMetrics.errors.inc({ sink, kind: 'retryable' });
    this.logger.debug({ sink, failed: failed.length, sent, error: reason }, 'bulk write failed; the caller retries');
    const error = new RetryableError(
      `Elasticsearch bulk write failed (${failed.length} of ${sent} documents): ${reason}`,
      cause === undefined ? undefined : { cause },
    );
    for (const p of failed) p.reject(error);
  }
}

/** The request body: the writes' NDJSON lines, concatenated once. */
function joinBodies(pending: readonly Pending[]): string {
  let body = '';
  for (const p of pending) body += p.body;
  return body;
}

/** The outcomes of one write() call, slot by slot; `done` resolves once every write settled. */
class BatchOutcomes {
  readonly outcomes: BulkOutcome[];
  failure: Error | undefined;
  readonly done: Promise<void>;
  private left: number;
  private wake: () => void = () => undefined;

  constructor(size: number) {
    this.outcomes = new Array<BulkOutcome>(size);
    this.left = size;
    this.done = new Promise<void>((resolve) => (this.wake = resolve));
  }

  settle(slot: number, outcome: BulkOutcome): void {
    this.outcomes[slot] = outcome;
    if (--this.left === 0) this.wake();
  }

  fail(error: Error): void {
    this.failure ??= error;
    if (--this.left === 0) this.wake();
  }
}

/** A queued write of a write() call: a Pending whose resolve/reject are methods, not closures. */
class BatchWrite implements Pending {
  constructor(
    readonly key: string,
    readonly body: string,
    readonly bytes: number,
    readonly action: 'index' | 'delete',
    private readonly batch: BatchOutcomes,
    private readonly slot: number,
  ) {}

  resolve(outcome: BulkOutcome): void {
    this.batch.settle(this.slot, outcome);
  }

  reject(error: Error): void {
    this.batch.fail(error);
  }
}
