import type { Logger } from '@distributary/observability';

/** Default deadline on one log append: past it the session ends and the connector resumes from its confirmed LSN. */
export const DEFAULT_APPEND_TIMEOUT_MS = 30_000;

/** How often a waiting append is reported (warning) before its deadline. */
const WARN_EVERY_MS = 5000;

/** The oldest append still unanswered, as the session sees it. */
export interface WaitingAppend {
  startedAt: number;
  appendsInFlight: number;
  bytes: number;
}

/** An append the log Redis did not answer within the deadline: the session ends with this error. */
export class AppendTimeoutError extends Error {
  constructor(
    readonly waitedMs: number,
    readonly appendsInFlight: number,
  ) {
    super(
      `log append unanswered after ${waitedMs} ms (${appendsInFlight} in flight): the log Redis does not answer; ` +
        'ending the replication session (it resumes from the last confirmed LSN)',
    );
    this.name = 'AppendTimeoutError';
  }
}

/**
 * Watches the oldest unanswered append of a session: every 5 s it says that the append waits (a log
 * Redis that is down makes appends queue in ioredis while the replication socket stays paused), and
 * past `timeoutMs` it reports an AppendTimeoutError — no append may wait forever (a pipeline that never
 * settles, a connection that silently stopped answering). One timer per session, not per append.
 */
export class AppendWatch {
  private timer: NodeJS.Timeout | null = null;
  private lastWarning = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly oldest: () => WaitingAppend | undefined,
    private readonly logger: Logger,
    private readonly onTimeout: (error: AppendTimeoutError) => void,
  ) {}

  start(): void {
    const every = Math.max(10, Math.min(1000, Math.floor(this.timeoutMs / 4)));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private check(): void {
    const waiting = this.oldest();
    if (!waiting) return;
    const now = Date.now();
    const waitedMs = now - waiting.startedAt;
    if (waitedMs >= this.timeoutMs) {
      this.stop();
      this.onTimeout(new AppendTimeoutError(waitedMs, waiting.appendsInFlight));
      return;
    }
    if (waitedMs < WARN_EVERY_MS || now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    this.logger.warn(
      { waitingMs: waitedMs, appendsInFlight: waiting.appendsInFlight, bytes: waiting.bytes },
      'log append is waiting for Redis',
    );
  }
}
