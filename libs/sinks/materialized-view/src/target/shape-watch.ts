import { type ChangeEvent, RetryableError } from '@distributary/core';
import type { Logger } from '@distributary/observability';

export interface ShapeWatchOptions {
  name: string;
  tables: readonly string[];
  logger: Logger;
  /** What changed between the view as opened and the source catalog now, or undefined. */
  compareWithSource(): Promise<string | undefined>;
  /** Reopens the sink (through rebuild-on-open, which rebuilds); resolves whether it is still stale. */
  reopen(): Promise<boolean>;
}

/**
 * A schema change of a source table (`ALTER COLUMN … TYPE`, `DROP COLUMN` of a column the view reads)
 * makes the view's mirrors and outputs the wrong shape: applying on would convert new values to the
 * old types or dead-letter them. The connector re-snapshots a changed table (onSchemaChange: resync),
 * so the first batch holding rows of a new snapshot of a view table (or a batch whose values do not
 * convert) re-reads the source catalog, and a change reshapes the view (see reshape()).
 */
export class ShapeWatch {
  /** Set when the source tables' columns changed under the running view and it cannot rebuild here (see reshape). */
  private failed?: string;
  /** The reopen (and rebuild) in progress after a shape change: every partition waits for the one. */
  private reshaping?: Promise<void>;
  /** A shape change found by a batch already applying (a value that did not convert): reshape next. */
  private pending?: string;
  /** Applies past the shape check, inside their transaction: a reshape waits until none is left. */
  private appliesInFlight = 0;
  private readonly drainWaiters: (() => void)[] = [];
  /** Snapshots whose rows were already checked for a shape change. */
  private readonly checkedSnapshots = new Set<string>();

  constructor(private readonly options: ShapeWatchOptions) {}

  /** Waits while a reshape is in progress. */
  async settled(): Promise<void> {
    while (this.reshaping) await this.reshaping.catch(() => undefined);
  }

  /** Throws the retried error of a view that could not reshape in place. */
  refuseIfFailed(): void {
    if (this.failed) throw new RetryableError(this.failed);
  }

  /** Before a batch: reshapes first when a change is pending or its events show one. */
  async check(events: ChangeEvent[]): Promise<void> {
    const changed = this.pending ?? (await this.changedBy(events));
    if (changed) await this.reshape(changed);
  }

  /** Runs an apply that is past the shape check (a reshape waits for it). */
  async applying<T>(work: () => Promise<T>): Promise<T> {
    this.appliesInFlight++;
    try {
      return await work();
    } finally {
      if (--this.appliesInFlight === 0) for (const wake of this.drainWaiters.splice(0)) wake();
    }
  }

  /** A change found inside a batch's apply: not there, the next apply reshapes once every apply has left. */
  reshapeNext(changed: string): void {
    this.pending = changed;
  }

  /** What changed, when `events` start a new snapshot of a view table (or always when `force`). */
  async changedBy(events: ChangeEvent[], force = false): Promise<string | undefined> {
    const snapshots = new Set<string>();
    for (const event of events)
      if (event.snapshot && !this.checkedSnapshots.has(event.snapshot) && this.options.tables.includes(event.table))
        snapshots.add(event.snapshot);
    if (!force && snapshots.size === 0) return undefined;
    const changed = await this.options.compareWithSource();
    for (const id of snapshots) this.checkedSnapshots.add(id);
    return changed;
  }

  /**
   * The view's shape changed: the sink reopens itself once no apply is inside its transaction (new
   * applies wait for the reopen). A worker opens sinks through rebuild-on-open, so the reopen rebuilds
   * the view from the compacted log in the new shape (a staging table, swapped under the apply lock) and
   * applies go on with the new statements: the view heals in place. The log holds every event an apply
   * committed before the reopen, so the rebuild has them; events applied again afterwards are
   * idempotent, as after any rebuild on open. Opened without that (no log to rebuild from), apply
   * refuses with a retried error shown in status until the worker restarts: never a silent change.
   */
  private async reshape(changed: string): Promise<void> {
    const { name, tables, logger } = this.options;
    this.reshaping ??= (async () => {
      logger.warn(
        { tables, changed },
        `view ${name}: a source table changed shape; rebuilding the view from the compacted log in the new shape`,
      );
      if (this.appliesInFlight > 0) await new Promise<void>((wake) => this.drainWaiters.push(wake));
      const stale = await this.options.reopen();
      this.pending = undefined;
      if (!stale) return;
      this.failed =
        `view ${name}: a source table of the view changed shape (${changed}); ` +
        `restart the worker: it rebuilds the view from the compacted log in the new shape — ` +
        `nothing is applied until then`;
      logger.error({ tables }, this.failed);
    })().finally(() => (this.reshaping = undefined));
    await this.reshaping;
    this.refuseIfFailed();
  }
}
